package berth

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Lifecycle rule ids of the backups bucket.
const (
	BackupsExpiryRule        = "ExpireBackups"
	BackupsAbortUploadsRule  = "AbortIncompleteUploads"
	backupsAbortUploadsAfter = 1 // days
)

// backupsBucket is the bucket that keeps database and filesystem backups
// (shared/data/awsartefacts), keyed backups/<org>/<app>/<env>/<type>/<id>.<ext>:
// private (every public access blocked, TLS only), encrypted with S3's
// keys, unversioned, and retained when the stack is destroyed. Objects
// expire retentionDays after they are written, and a multipart upload
// left unfinished is aborted after a day, so that its parts stop costing.
func backupsBucket(scope constructs.Construct, retentionDays float64) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String("Backups"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(false),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String(BackupsExpiryRule), Expiration: awscdk.Duration_Days(jsii.Number(retentionDays))},
			{Id: jsii.String(BackupsAbortUploadsRule), AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(backupsAbortUploadsAfter))},
		},
	})
	suppress(b, "AwsSolutions-S1", "Backups are read only through short-lived presigned URLs that Berth's API issues to authorised tokens; server access logs would need a log bucket of their own (CloudTrail data events can be turned on instead).")
	return b
}
