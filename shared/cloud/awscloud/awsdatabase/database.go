package awsdatabase

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// databaseExpected is how long RDS usually takes to create a small instance.
const databaseExpected = 5 * time.Minute

// MasterUsername is the database's master user; RDS keeps its password.
const MasterUsername = "berth"

// mysqlVersion is the MySQL version Berth runs when the spec names none.
const mysqlVersion = "8.4"

// CreateDatabase creates an encrypted, private RDS instance whose master
// password RDS generates and keeps in Secrets Manager.
func (c *Part) CreateDatabase(ctx context.Context, spec cloud.DatabaseSpec) (cloud.Resource, error) {
	version := spec.EngineVersion
	if version == "" && spec.Engine == "mysql" {
		version = mysqlVersion
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:     aws.String(spec.Identifier),
		Engine:                   aws.String(spec.Engine),
		DBInstanceClass:          aws.String(spec.InstanceClass),
		AllocatedStorage:         aws.Int32(int32(spec.StorageGB)),
		MultiAZ:                  aws.Bool(spec.MultiAZ),
		StorageEncrypted:         aws.Bool(true),
		ManageMasterUserPassword: aws.Bool(true),
		MasterUsername:           aws.String(MasterUsername),
		DBName:                   aws.String(spec.DatabaseName),
		DBSubnetGroupName:        aws.String(c.Platform.DatabaseSubnetGroup),
		VpcSecurityGroupIds:      []string{c.Platform.DatabaseSecurityGroup},
		PubliclyAccessible:       aws.Bool(false),
		CopyTagsToSnapshot:       aws.Bool(true),
		DeletionProtection:       aws.Bool(false),
		Tags:                     awscloud.TagList(spec.Tags, rdsTag),
	}
	if version != "" {
		in.EngineVersion = aws.String(version)
	}
	out, err := c.RDS.CreateDBInstance(ctx, in)
	if awscloud.Code(err) == "DBInstanceAlreadyExists" {
		return c.checkDatabase(ctx, cloud.Ref{Kind: cloud.KindDatabase, Name: spec.Identifier, ID: spec.Identifier})
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return databaseResource(out.DBInstance), nil
}

func (c *Part) checkDatabase(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	out, err := c.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(databaseID(ref))})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.DBInstances) == 0 {
		return cloud.Resource{}, awscloud.NotFound("rds: no DB instance " + databaseID(ref))
	}
	return databaseResource(&out.DBInstances[0]), nil
}

// databaseResource reads an instance's state and, once it is available,
// where to reach it and the secret that holds its credentials.
func databaseResource(db *types.DBInstance) cloud.Resource {
	id := aws.ToString(db.DBInstanceIdentifier)
	r := cloud.Resource{
		Ref:      cloud.Ref{Kind: cloud.KindDatabase, Name: id, ID: id},
		State:    cloud.StateCreating,
		Outputs:  map[string]string{},
		Expected: databaseExpected,
	}
	if arn := aws.ToString(db.DBInstanceArn); arn != "" {
		r.Outputs[cloud.OutARN] = arn
	}
	if s := db.MasterUserSecret; s != nil && aws.ToString(s.SecretArn) != "" {
		r.Outputs[cloud.OutSecretARN] = aws.ToString(s.SecretArn)
	}
	switch status := aws.ToString(db.DBInstanceStatus); {
	case status == "available":
		r.State = cloud.StateAvailable
		if e := db.Endpoint; e != nil {
			r.Outputs[cloud.OutEndpoint] = aws.ToString(e.Address)
			r.Outputs[cloud.OutPort] = strconv.Itoa(int(aws.ToInt32(e.Port)))
		}
	case status == "failed" || strings.HasPrefix(status, "incompatible-") || strings.HasPrefix(status, "inaccessible-encryption-credentials"):
		r.State = cloud.StateFailed
		r.Reason = "the DB instance is " + status
	case status == "deleting":
		r.State = cloud.StateDeleting
	}
	return r
}

// deleteDatabase asks RDS to delete the instance, and says gone only once
// RDS no longer knows it. An instance that cannot be deleted yet (still
// creating, or already deleting) is simply not gone.
func (c *Part) deleteDatabase(ctx context.Context, ref cloud.Ref, opts cloud.DeleteOptions) (bool, error) {
	in := &rds.DeleteDBInstanceInput{
		DBInstanceIdentifier:   aws.String(databaseID(ref)),
		DeleteAutomatedBackups: aws.Bool(true),
	}
	if opts.FinalSnapshot != "" {
		in.FinalDBSnapshotIdentifier = aws.String(opts.FinalSnapshot)
	} else {
		in.SkipFinalSnapshot = aws.Bool(true)
	}
	_, err := c.RDS.DeleteDBInstance(ctx, in)
	if err == nil {
		return false, nil // deleting
	}
	switch awscloud.Code(err) {
	case "DBInstanceNotFound":
		return true, nil
	case "InvalidDBInstanceState":
		return false, nil
	}
	return false, awscloud.Fail(err)
}

// databaseID: the instance identifier is Berth's name for it.
func databaseID(ref cloud.Ref) string {
	if ref.ID != "" {
		return ref.ID
	}
	return ref.Name
}

func rdsTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
