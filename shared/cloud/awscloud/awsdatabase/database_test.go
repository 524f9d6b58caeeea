package awsdatabase

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

var databaseSpec = cloud.DatabaseSpec{
	Identifier: "berth-my-app-0123456789", Engine: "mysql", InstanceClass: "db.t4g.micro",
	StorageGB: 20, MultiAZ: true, DatabaseName: "appmyapp", Tags: awstest.Tags,
}

const availableDB = `<DBInstance>
	<DBInstanceIdentifier>berth-my-app-0123456789</DBInstanceIdentifier>
	<DBInstanceArn>arn:aws:rds:eu-west-1:123456789012:db:berth-my-app-0123456789</DBInstanceArn>
	<DBInstanceStatus>available</DBInstanceStatus>
	<Endpoint><Address>berth-my-app.abc.eu-west-1.rds.amazonaws.com</Address><Port>3306</Port></Endpoint>
	<MasterUserSecret><SecretArn>arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234</SecretArn><SecretStatus>active</SecretStatus></MasterUserSecret>
</DBInstance>`

func dbWithStatus(status string) string {
	return `<DBInstances><DBInstance><DBInstanceIdentifier>berth-my-app-0123456789</DBInstanceIdentifier><DBInstanceStatus>` + status + `</DBInstanceStatus></DBInstance></DBInstances>`
}

// TestCreateDatabaseRequest checks every field of CreateDBInstance as it
// would reach RDS.
func TestCreateDatabaseRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateDBInstance", awstest.OK(`<DBInstance><DBInstanceIdentifier>berth-my-app-0123456789</DBInstanceIdentifier><DBInstanceStatus>creating</DBInstanceStatus></DBInstance>`))
	r, err := c.CreateDatabase(context.Background(), databaseSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, stub.Only("CreateDBInstance").Form, map[string]string{
		"Action": "CreateDBInstance", "Version": "2014-10-31",
		"DBInstanceIdentifier": "berth-my-app-0123456789", "Engine": "mysql", "EngineVersion": "8.4",
		"DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "MultiAZ": "true",
		"StorageEncrypted": "true", "ManageMasterUserPassword": "true", "MasterUsername": "berth",
		"DBName": "appmyapp", "DBSubnetGroupName": "berth-db", "VpcSecurityGroupIds.VpcSecurityGroupId.1": "sg-db",
		"PubliclyAccessible": "false", "CopyTagsToSnapshot": "true", "DeletionProtection": "false",
		"Tags.Tag.1.Key": "berth:application", "Tags.Tag.1.Value": "my-app",
		"Tags.Tag.2.Key": "berth:managed", "Tags.Tag.2.Value": "true",
	})
	if r.State != cloud.StateCreating || r.ID != "berth-my-app-0123456789" || r.Kind != cloud.KindDatabase || r.Expected == 0 {
		t.Errorf("resource %+v", r)
	}
}

func TestCreatePostgresTakesTheEngineDefault(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateDBInstance", awstest.OK(`<DBInstance><DBInstanceIdentifier>x</DBInstanceIdentifier><DBInstanceStatus>creating</DBInstanceStatus></DBInstance>`))
	spec := databaseSpec
	spec.Engine = "postgres"
	if _, err := c.CreateDatabase(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	form := stub.Only("CreateDBInstance").Form
	if form.Get("Engine") != "postgres" || form.Has("EngineVersion") {
		t.Errorf("engine %q version %q; want postgres and no version", form.Get("Engine"), form.Get("EngineVersion"))
	}
}

func TestCreateDatabaseThatExistsReadsIt(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateDBInstance", awstest.AWSErr("DBInstanceAlreadyExists", "DB instance already exists"))
	stub.On("DescribeDBInstances", awstest.OK(`<DBInstances>`+availableDB+`</DBInstances>`))
	r, err := c.CreateDatabase(context.Background(), databaseSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.Only("DescribeDBInstances").Form.Get("DBInstanceIdentifier"); got != "berth-my-app-0123456789" {
		t.Errorf("described %q", got)
	}
	if r.State != cloud.StateAvailable || r.Outputs[cloud.OutEndpoint] != "berth-my-app.abc.eu-west-1.rds.amazonaws.com" {
		t.Errorf("resource %+v", r)
	}
}

func TestCheckDatabaseStates(t *testing.T) {
	for status, want := range map[string]cloud.State{
		"creating": cloud.StateCreating, "backing-up": cloud.StateCreating, "modifying": cloud.StateCreating,
		"failed": cloud.StateFailed, "incompatible-parameters": cloud.StateFailed, "incompatible-network": cloud.StateFailed,
		"deleting": cloud.StateDeleting,
	} {
		c, stub := testPart(t)
		stub.On("DescribeDBInstances", awstest.OK(dbWithStatus(status)))
		r, err := c.Check(context.Background(), cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-my-app-0123456789"})
		if err != nil {
			t.Fatal(err)
		}
		if r.State != want {
			t.Errorf("%s: state %s, want %s", status, r.State, want)
		}
		if want == cloud.StateFailed && !strings.Contains(r.Reason, status) {
			t.Errorf("%s: reason %q does not say the status", status, r.Reason)
		}
	}
}

func TestCheckAvailableDatabaseOutputs(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeDBInstances", awstest.OK(`<DBInstances>`+availableDB+`</DBInstances>`))
	r, err := c.Check(context.Background(), cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-my-app-0123456789", ID: "berth-my-app-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		cloud.OutEndpoint:  "berth-my-app.abc.eu-west-1.rds.amazonaws.com",
		cloud.OutPort:      "3306",
		cloud.OutSecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234",
		cloud.OutARN:       "arn:aws:rds:eu-west-1:123456789012:db:berth-my-app-0123456789",
	}
	if r.State != cloud.StateAvailable || len(r.Outputs) != len(want) {
		t.Fatalf("resource %+v", r)
	}
	for k, v := range want {
		if r.Outputs[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Outputs[k], v)
		}
	}
}

func TestCheckMissingDatabase(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeDBInstances", awstest.Reply{Code: "DBInstanceNotFound", Msg: "DBInstance berth-x not found.", Status: 404})
	_, err := c.Check(context.Background(), cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-x"})
	if !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	if want := "rds DescribeDBInstances: DBInstanceNotFound: DBInstance berth-x not found."; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestDeleteDatabase(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-my-app-0123456789", ID: "berth-my-app-0123456789"}
	t.Run("with a final snapshot", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DeleteDBInstance", awstest.OK(`<DBInstance><DBInstanceIdentifier>berth-my-app-0123456789</DBInstanceIdentifier><DBInstanceStatus>deleting</DBInstanceStatus></DBInstance>`))
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{FinalSnapshot: "berth-my-app-0123456789-final"})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v; want deletion under way", gone, err)
		}
		awstest.CheckForm(t, stub.Only("DeleteDBInstance").Form, map[string]string{
			"Action": "DeleteDBInstance", "Version": "2014-10-31", "DBInstanceIdentifier": "berth-my-app-0123456789",
			"FinalDBSnapshotIdentifier": "berth-my-app-0123456789-final", "DeleteAutomatedBackups": "true",
		})
	})
	t.Run("without", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DeleteDBInstance", awstest.OK(`<DBInstance><DBInstanceStatus>deleting</DBInstanceStatus></DBInstance>`))
		if _, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		awstest.CheckForm(t, stub.Only("DeleteDBInstance").Form, map[string]string{
			"Action": "DeleteDBInstance", "Version": "2014-10-31", "DBInstanceIdentifier": "berth-my-app-0123456789",
			"SkipFinalSnapshot": "true", "DeleteAutomatedBackups": "true",
		})
	})
	for code, want := range map[string]bool{"InvalidDBInstanceState": false, "DBInstanceNotFound": true} {
		t.Run(code, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DeleteDBInstance", awstest.AWSErr(code, "instance is creating"))
			gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
			if err != nil || gone != want {
				t.Fatalf("gone %v, error %v; want gone %v and no error", gone, err, want)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DeleteDBInstance", awstest.AWSErr("InvalidParameterValue", "bad snapshot name"))
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{FinalSnapshot: "-"})
		if gone || !errors.Is(err, cloud.ErrInvalid) {
			t.Fatalf("gone %v, error %v; want ErrInvalid", gone, err)
		}
	})
}

// TestErrorsKeepTheAWSError: the message is the user's failure reason;
// the SDK's error stays reachable.
func TestErrorsKeepTheAWSError(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateDBInstance", awstest.AWSErr("InvalidParameterCombination", "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.nano, Engine=mysql."))
	_, err := c.CreateDatabase(context.Background(), databaseSpec)
	if want := "rds CreateDBInstance: InvalidParameterCombination: RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.nano, Engine=mysql."; err == nil || err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	var api smithy.APIError
	if !errors.Is(err, cloud.ErrInvalid) || !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterCombination" {
		t.Errorf("error %v does not wrap ErrInvalid and the API error", err)
	}
}

// TestThrottlingIsNoKind: throttling is the SDK retryer's business; once
// it gives up, the error is none of the port's kinds.
func TestThrottlingIsNoKind(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeDBInstances", awstest.AWSErr("Throttling", "Rate exceeded"))
	_, err := c.Check(context.Background(), cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-x"})
	if err == nil || errors.Is(err, cloud.ErrNotFound) || errors.Is(err, cloud.ErrInvalid) || errors.Is(err, cloud.ErrQuota) {
		t.Fatalf("error %v", err)
	}
	if err.Error() != "rds DescribeDBInstances: Throttling: Rate exceeded" {
		t.Errorf("message %q", err)
	}
}
