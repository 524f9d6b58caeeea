package awsruntime

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const secretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production-0123456789/app-secrets-AbCdEf"

var secretSpec = cloud.SecretSpec{Name: "berth/acme/my-app/production-0123456789/app-secrets", Description: "App secrets of acme/my-app/production", Tags: awstest.Tags}

func TestCreateSecretRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateSecret", awstest.OK(`{"ARN":"`+secretARN+`","Name":"berth/acme/my-app/production-0123456789/app-secrets"}`))
	r, err := c.CreateSecret(context.Background(), secretSpec)
	if err != nil {
		t.Fatal(err)
	}
	token := requestToken(secretSpec.Name)
	awstest.CheckJSON(t, stub.Only("CreateSecret").JSON, `{
		"Name":"berth/acme/my-app/production-0123456789/app-secrets","Description":"App secrets of acme/my-app/production",
		"SecretString":"{}","ClientRequestToken":"`+token+`",
		"Tags":[{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]
	}`)
	if r.ID != secretARN || r.Outputs[cloud.OutARN] != secretARN || r.State != cloud.StateAvailable {
		t.Errorf("resource %+v", r)
	}
}

// TestRequestTokenIsAStableUUID: the same name gives the same token, a
// UUID Secrets Manager accepts; another name another token.
func TestRequestTokenIsAStableUUID(t *testing.T) {
	a, b := requestToken("berth/a"), requestToken("berth/b")
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(a) || !uuid.MatchString(b) {
		t.Fatalf("%s, %s are not UUIDs", a, b)
	}
	if a != requestToken("berth/a") || a == b {
		t.Errorf("tokens %s %s", a, b)
	}
}

func TestCreateSecretThatExistsReadsIt(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateSecret", awstest.AWSErr("ResourceExistsException", "The operation failed because the secret already exists."))
	stub.On("DescribeSecret", awstest.OK(`{"ARN":"`+secretARN+`","Name":"berth/acme/my-app/production-0123456789/app-secrets"}`))
	r, err := c.CreateSecret(context.Background(), secretSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("DescribeSecret").JSON, `{"SecretId":"berth/acme/my-app/production-0123456789/app-secrets"}`)
	if r.ID != secretARN {
		t.Errorf("resource %+v", r)
	}
}

func TestSecretCheck(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindSecret, Name: secretSpec.Name, ID: secretARN}
	c, stub := testPart(t)
	stub.On("DescribeSecret", awstest.OK(`{"ARN":"`+secretARN+`"}`), awstest.OK(`{"ARN":"`+secretARN+`","DeletedDate":1767225600}`),
		awstest.AWSErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret."))
	for _, want := range []cloud.State{cloud.StateAvailable, cloud.StateDeleting} {
		if r, err := c.Check(context.Background(), ref); err != nil || r.State != want {
			t.Errorf("check %+v, %v; want %s", r, err, want)
		}
	}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing secret: %v", err)
	}
	awstest.CheckJSON(t, stub.All("DescribeSecret")[0].JSON, `{"SecretId":"`+secretARN+`"}`)
}

func TestDeleteSecret(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindSecret, Name: secretSpec.Name, ID: secretARN}
	for _, tc := range []struct {
		name   string
		answer awstest.Reply
		gone   bool
		err    error
	}{
		{"scheduled", awstest.OK(`{"ARN":"` + secretARN + `","DeletionDate":1767225600}`), true, nil},
		{"missing", awstest.AWSErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret."), true, nil},
		{"marked deleted", awstest.AWSErr("InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted."), true, nil},
		{"already scheduled", awstest.AWSErr("InvalidRequestException", "The secret is already scheduled for deletion."), true, nil},
		{"refused", awstest.AWSErr("InvalidRequestException", "You can't delete a secret that is managed by another service."), false, cloud.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DeleteSecret", tc.answer)
			gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
			if gone != tc.gone || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("gone %v, error %v", gone, err)
			}
			awstest.CheckJSON(t, stub.Only("DeleteSecret").JSON, `{"SecretId":"`+secretARN+`","RecoveryWindowInDays":7}`)
		})
	}
}
