package berth

import (
	"net/http"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
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

// BackupsPrefix is where backups' objects live in the bucket
// (shared/data: backups/<org>/<app>/<env>/<type>/<id>.<ext>); every grant
// on the bucket's objects is limited to it.
const BackupsPrefix = "backups/"

// DataTaskActions are what a data task (images/berth-data) does to the
// backups bucket: a backup writes its artefact, in one or many parts
// (aborting an upload it cannot finish), a restore reads one. The bucket
// is encrypted with S3's keys, so no KMS permission is needed.
var DataTaskActions = []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"}

// newDataTaskRole is the task role of data tasks, assumed by ECS tasks of
// this account: DataTaskActions on the bucket's backups/ objects, and
// nothing else, in an inline policy. Its name is fixed, so that the
// service step may pass it, and must not fit the task role pattern tenants
// may name (Config.Validate).
func newDataTaskRole(scope constructs.Construct, bucket awss3.IBucket, name string) awsiam.Role {
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String("DataTaskRole"), &awsiam.RoleProps{
		RoleName: jsii.String(name),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("Berth data tasks (backups, restores, syncs): write and read the backups bucket's " + BackupsPrefix + " objects only"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"Berth": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(DataTaskActions...), Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String(BackupsPrefix + "*"))),
			})},
		})},
	})
	suppress(role, "AwsSolutions-IAM5", "Backups are written at run time as "+BackupsPrefix+"<organisation>/<application>/<environment>/<type>/<id>.<ext> (shared/data); the wildcard is that key, under the backups bucket's "+BackupsPrefix+" prefix only.",
		appliesRegex(`/^Resource::<Backups[A-Za-z0-9]+\.Arn>\/backups\/\*$/`))
	return role
}

// grantArtefacts lets a route that reads or deletes backups' objects
// (Route.Artefacts) do exactly that: delete-backup deletes one
// (s3:DeleteObject); download-backup reads its size (HeadObject, which
// needs s3:GetObject) and presigns a GetObject, which the URL's holder
// makes with this role's permission. Its s3:ListBucket makes a missing
// object a 404 rather than a 403 (awsartefacts.Store.Stat). It is on the
// bucket without an s3:prefix condition: HeadObject lists nothing and
// sends no prefix, so S3's check of ListBucket for a missing key need not
// satisfy one, and a missing backup would be a 403 again. Unconditioned,
// it reveals no more than key names (backups/<organisation>/<application>/
// <environment>/<type>/<id>.<ext>) of the one bucket, never an object's
// content, and the function lists nothing: it heads the key its backup
// record holds.
func grantArtefacts(fn *Function, bucket awss3.IBucket, method string) {
	objects := *bucket.ArnForObjects(jsii.String(BackupsPrefix + "*"))
	switch method {
	case http.MethodDelete:
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:DeleteObject"), Resources: jsii.Strings(objects),
		}))
	default:
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:GetObject"), Resources: jsii.Strings(objects),
		}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:ListBucket"), Resources: jsii.Strings(*bucket.BucketArn()),
		}))
	}
	suppress(fn.Role, "AwsSolutions-IAM5", "Backups are objects "+BackupsPrefix+"<organisation>/<application>/<environment>/<type>/<id>.<ext> (shared/data); the wildcard is that key, under the backups bucket's "+BackupsPrefix+" prefix only, and the function names the one its backup record holds.",
		appliesRegex(`/^Resource::<Backups[A-Za-z0-9]+\.Arn>\/backups\/\*$/`))
}
