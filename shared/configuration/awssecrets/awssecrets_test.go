package awssecrets_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/configuration/awssecrets"
)

const (
	id     = "berth/app-1/env-1/DATABASE_URL"
	arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/app-1/env-1/DATABASE_URL-AbCdEf"
	value  = "postgres://u:hunter2-VERY-SECRET@db/app"
	tok    = "0123456789abcdef0123456789abcdef"
	answer = `{"ARN":"` + arn + `","Name":"` + id + `","VersionId":"` + tok + `"}`
)

var write = configuration.SecretWrite{ID: id, Value: value, Token: tok,
	Tags: map[string]string{"berth:managed": "true", "berth:environment": "env-1"}}

const (
	createJSON = `{"Name":"` + id + `","SecretString":"` + value + `","ClientRequestToken":"` + tok + `",
		"Tags":[{"Key":"berth:environment","Value":"env-1"},{"Key":"berth:managed","Value":"true"}]}`
	putJSON = `{"SecretId":"` + id + `","SecretString":"` + value + `","ClientRequestToken":"` + tok + `"}`
)

const (
	existsMsg    = "The operation failed because the secret " + id + " already exists."
	scheduledMsg = "You can't create this secret because a secret with this name is already scheduled for deletion."
	markedMsg    = "You can't perform this operation on the secret because it was marked for deletion."
	versionMsg   = "You can't modify an existing version, you can only create a new version."
	tokenMsg     = "The ClientRequestToken was already used with a different secret value."
)

func put(t *testing.T, s *awstest.Stub) (configuration.SecretVersion, error) {
	t.Helper()
	return awssecrets.New(s.Config(), s.URL).Put(context.Background(), write)
}

func checkOps(t *testing.T, s *awstest.Stub, want ...string) {
	t.Helper()
	if got := s.Ops(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

func TestPutCreates(t *testing.T) {
	s := awstest.New(t)
	s.On("CreateSecret", awstest.OK(answer))
	v, err := put(t, s)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, s, "CreateSecret")
	awstest.CheckJSON(t, s.Only("CreateSecret").JSON, createJSON)
	if want := (configuration.SecretVersion{ARN: arn, VersionID: tok}); v != want {
		t.Errorf("version %+v, want %+v", v, want)
	}
	if got, want := v.ValueFrom(), arn+":::"+tok; got != want {
		t.Errorf("ValueFrom %q, want %q", got, want)
	}
}

func TestPutExistingSecretAddsVersion(t *testing.T) {
	s := awstest.New(t)
	s.On("CreateSecret", awstest.AWSErr("ResourceExistsException", existsMsg))
	s.On("PutSecretValue", awstest.OK(`{"ARN":"`+arn+`","Name":"`+id+`","VersionId":"v-2","VersionStages":["AWSCURRENT"]}`))
	v, err := put(t, s)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, s, "CreateSecret", "PutSecretValue")
	awstest.CheckJSON(t, s.Only("PutSecretValue").JSON, putJSON)
	if want := (configuration.SecretVersion{ARN: arn, VersionID: "v-2"}); v != want {
		t.Errorf("version %+v, want %+v", v, want)
	}
}

func TestPutRestoresScheduledSecret(t *testing.T) {
	s := awstest.New(t)
	s.On("CreateSecret", awstest.AWSErr("InvalidRequestException", scheduledMsg))
	s.On("RestoreSecret", awstest.OK(`{"ARN":"`+arn+`","Name":"`+id+`"}`))
	s.On("PutSecretValue", awstest.OK(answer))
	v, err := put(t, s)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, s, "CreateSecret", "RestoreSecret", "PutSecretValue")
	awstest.CheckJSON(t, s.Only("RestoreSecret").JSON, `{"SecretId":"`+id+`"}`)
	awstest.CheckJSON(t, s.Only("PutSecretValue").JSON, putJSON)
	if v.ARN != arn || v.VersionID != tok {
		t.Errorf("version %+v", v)
	}
}

func TestPutRestoresSecretDeletedMeanwhile(t *testing.T) {
	s := awstest.New(t)
	s.On("CreateSecret", awstest.AWSErr("ResourceExistsException", existsMsg))
	s.On("PutSecretValue", awstest.AWSErr("InvalidRequestException", markedMsg), awstest.OK(answer))
	s.On("RestoreSecret", awstest.OK(`{"ARN":"`+arn+`","Name":"`+id+`"}`))
	if _, err := put(t, s); err != nil {
		t.Fatal(err)
	}
	checkOps(t, s, "CreateSecret", "PutSecretValue", "RestoreSecret", "PutSecretValue")
}

func TestPutStillScheduledAfterRestoreFails(t *testing.T) {
	s := awstest.New(t)
	s.On("CreateSecret", awstest.AWSErr("InvalidRequestException", scheduledMsg))
	s.On("RestoreSecret", awstest.OK(`{}`))
	s.On("PutSecretValue", awstest.AWSErr("InvalidRequestException", markedMsg))
	if _, err := put(t, s); err == nil {
		t.Fatal("no error")
	}
	checkOps(t, s, "CreateSecret", "RestoreSecret", "PutSecretValue")
}

// putErrors are the failures Put answers, each with what it wraps.
var putErrors = []struct {
	name    string
	replies map[string]awstest.Reply
	reused  bool
}{
	{"token reused on an existing secret", map[string]awstest.Reply{
		"CreateSecret":   awstest.AWSErr("ResourceExistsException", existsMsg),
		"PutSecretValue": awstest.AWSErr("ResourceExistsException", versionMsg)}, true},
	{"token refused on create", map[string]awstest.Reply{
		"CreateSecret": awstest.AWSErr("InvalidRequestException", tokenMsg)}, true},
	{"token refused on put", map[string]awstest.Reply{
		"CreateSecret":   awstest.AWSErr("ResourceExistsException", existsMsg),
		"PutSecretValue": awstest.AWSErr("InvalidRequestException", tokenMsg)}, true},
	{"create refused", map[string]awstest.Reply{
		"CreateSecret": awstest.AWSErr("AccessDeniedException", "not authorized to perform secretsmanager:CreateSecret")}, false},
	{"invalid value", map[string]awstest.Reply{
		"CreateSecret": awstest.AWSErr("InvalidParameterException", "The parameter SecretString is invalid.")}, false},
	{"restore refused", map[string]awstest.Reply{
		"CreateSecret":  awstest.AWSErr("InvalidRequestException", scheduledMsg),
		"RestoreSecret": awstest.AWSErr("AccessDeniedException", "not authorized to perform secretsmanager:RestoreSecret")}, false},
	{"put refused", map[string]awstest.Reply{
		"CreateSecret":   awstest.AWSErr("ResourceExistsException", existsMsg),
		"PutSecretValue": awstest.AWSErr("LimitExceededException", "too many versions")}, false},
	{"server error", map[string]awstest.Reply{
		"CreateSecret": {Code: "InternalServiceError", Msg: "oops", Status: 500}}, false},
}

func TestPutErrors(t *testing.T) {
	for _, c := range putErrors {
		t.Run(c.name, func(t *testing.T) {
			s := awstest.New(t)
			for op, r := range c.replies {
				s.On(op, r)
			}
			_, err := put(t, s)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, configuration.ErrTokenReused) != c.reused {
				t.Errorf("errors.Is(%v, ErrTokenReused) = %v, want %v", err, !c.reused, c.reused)
			}
			if !strings.Contains(err.Error(), id) {
				t.Errorf("%v does not name the secret", err)
			}
		})
	}
}

// TestPutErrorsNeverCarryTheValue: a secret's value is write-only, and an
// error ends up in logs and API answers.
func TestPutErrorsNeverCarryTheValue(t *testing.T) {
	for _, c := range putErrors {
		t.Run(c.name, func(t *testing.T) {
			s := awstest.New(t)
			for op, r := range c.replies {
				s.On(op, r)
			}
			_, err := put(t, s)
			if err == nil {
				t.Fatal("no error")
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(text, value) || strings.Contains(text, "hunter2") {
					t.Errorf("the error shows the secret's value: %s", text)
				}
			}
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "hunter2") {
					t.Errorf("a wrapped error shows the secret's value: %s", e)
				}
			}
		})
	}
}

func TestDelete(t *testing.T) {
	for _, c := range []struct {
		name  string
		reply awstest.Reply
		ok    bool
	}{
		{"scheduled", awstest.OK(`{"ARN":"` + arn + `","Name":"` + id + `","DeletionDate":1767225600}`), true},
		{"gone", awstest.AWSErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret."), true},
		{"already scheduled", awstest.AWSErr("InvalidRequestException", markedMsg), true},
		{"refused", awstest.AWSErr("AccessDeniedException", "not authorized"), false},
		{"other invalid request", awstest.AWSErr("InvalidRequestException", "You can't delete a secret that is replicated."), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := awstest.New(t)
			s.On("DeleteSecret", c.reply)
			err := awssecrets.New(s.Config(), s.URL).Delete(context.Background(), id)
			if (err == nil) != c.ok {
				t.Errorf("Delete = %v, want ok %v", err, c.ok)
			}
			awstest.CheckJSON(t, s.Only("DeleteSecret").JSON, `{"SecretId":"`+id+`","RecoveryWindowInDays":7}`)
		})
	}
}
