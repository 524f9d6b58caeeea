package awsschedules

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/jobs"
)

const (
	stateMachineARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:berth-run-job"
	roleARN         = "arn:aws:iam::123456789012:role/berth-scheduler"
	group           = "berth-acme-my-app-production-0123456789"
	input           = `{"organisation":"acme","application":"my-app","environment":"production","job":"nightly","scheduledTime":"<aws.scheduler.scheduled-time>"}`
)

var nightly = jobs.Schedule{
	Group: group, Name: "nightly", Expression: "cron(0 3 * * ? *)", Enabled: true, Description: "Nightly report", Input: input,
}

func testSchedules(t *testing.T) (*Schedules, *awstest.Stub) {
	stub := awstest.New(t)
	return New(stub.Config(), stateMachineARN, roleARN, stub.URL).(*Schedules), stub
}

// withoutToken drops the client token the SDK fills in (a random one,
// the same for each retry of a call) after checking it is there.
func withoutToken(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	if tok, _ := body["ClientToken"].(string); tok == "" {
		t.Errorf("no client token in %v", body)
	}
	delete(body, "ClientToken")
	return body
}

// nightlyBody is what Put sends for nightly, with the given state.
func nightlyBody(state string) string {
	return `{
		"GroupName":"` + group + `","ScheduleExpression":"cron(0 3 * * ? *)","ScheduleExpressionTimezone":"UTC",
		"State":"` + state + `","Description":"Nightly report","FlexibleTimeWindow":{"Mode":"OFF"},
		"Target":{"Arn":"` + stateMachineARN + `","RoleArn":"` + roleARN + `","Input":` + quote(input) + `,
			"RetryPolicy":{"MaximumRetryAttempts":3,"MaximumEventAgeInSeconds":300}}
	}`
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestPutCreates(t *testing.T) {
	s, stub := testSchedules(t)
	stub.On("CreateSchedule", awstest.OK(`{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/`+group+`/nightly"}`))
	if err := s.Put(context.Background(), nightly); err != nil {
		t.Fatal(err)
	}
	req := stub.Only("CreateSchedule")
	if req.Method != "POST" || req.Path != "/schedules/nightly" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	awstest.CheckJSON(t, withoutToken(t, req.JSON), nightlyBody("ENABLED"))
	if ops := stub.Ops(); !reflect.DeepEqual(ops, []string{"CreateSchedule"}) {
		t.Errorf("calls %v", ops)
	}
}

// TestPutReplaces: a schedule that exists is updated with every field.
func TestPutReplaces(t *testing.T) {
	s, stub := testSchedules(t)
	stub.On("CreateSchedule", awstest.AWSErr("ConflictException", "Schedule nightly already exists."))
	stub.On("UpdateSchedule", awstest.OK(`{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/`+group+`/nightly"}`))
	off := nightly
	off.Enabled = false
	if err := s.Put(context.Background(), off); err != nil {
		t.Fatal(err)
	}
	if ops := stub.Ops(); !reflect.DeepEqual(ops, []string{"CreateSchedule", "UpdateSchedule"}) {
		t.Errorf("calls %v", ops)
	}
	req := stub.Only("UpdateSchedule")
	if req.Method != "PUT" || req.Path != "/schedules/nightly" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	awstest.CheckJSON(t, withoutToken(t, req.JSON), nightlyBody("DISABLED"))
	awstest.CheckJSON(t, withoutToken(t, stub.Only("CreateSchedule").JSON), nightlyBody("DISABLED"))
}

// TestPutOptionalFields: Scheduler takes no empty description or input,
// and a description of at most 512 characters.
func TestPutOptionalFields(t *testing.T) {
	for _, tc := range []struct {
		name, description, input string
		want                     map[string]any // Description and Target.Input as sent; absent when nil
	}{
		{"none", "", "", map[string]any{"Description": nil, "Input": nil}},
		{"long description", strings.Repeat("é", 600), input, map[string]any{"Description": strings.Repeat("é", 512), "Input": input}},
		{"512 characters", strings.Repeat("d", 512), input, map[string]any{"Description": strings.Repeat("d", 512), "Input": input}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, stub := testSchedules(t)
			stub.On("CreateSchedule", awstest.OK(`{}`))
			sc := nightly
			sc.Description, sc.Input = tc.description, tc.input
			if err := s.Put(context.Background(), sc); err != nil {
				t.Fatal(err)
			}
			body := stub.Only("CreateSchedule").JSON
			got := map[string]any{"Description": body["Description"], "Input": body["Target"].(map[string]any)["Input"]}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sent %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPutErrors(t *testing.T) {
	for _, tc := range []struct {
		name           string
		create, update awstest.Reply // update: when create conflicts
		kind           error         // nil: none of the kinds
		says           string
	}{
		{"invalid expression", awstest.AWSErr("ValidationException", "Invalid Schedule Expression cron(0 3 * *)."), awstest.Reply{},
			cloud.ErrInvalid, "scheduler CreateSchedule: ValidationException: Invalid Schedule Expression"},
		{"no group", awstest.Reply{Status: 404, Code: "ResourceNotFoundException", Msg: "Schedule group " + group + " does not exist."}, awstest.Reply{},
			cloud.ErrNotFound, "scheduler CreateSchedule: ResourceNotFoundException"},
		{"quota", awstest.AWSErr("ServiceQuotaExceededException", "Maximum number of schedules reached."), awstest.Reply{},
			cloud.ErrQuota, "scheduler CreateSchedule: ServiceQuotaExceededException"},
		{"throttled", awstest.Reply{Status: 429, Code: "ThrottlingException", Msg: "Rate exceeded"}, awstest.Reply{},
			nil, "scheduler CreateSchedule: ThrottlingException"},
		{"update refused", awstest.AWSErr("ConflictException", "Schedule nightly already exists."),
			awstest.AWSErr("ValidationException", "Invalid Schedule Expression cron(0 3 * *)."),
			cloud.ErrInvalid, "scheduler UpdateSchedule: ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, stub := testSchedules(t)
			stub.On("CreateSchedule", tc.create)
			if tc.update != (awstest.Reply{}) {
				stub.On("UpdateSchedule", tc.update)
			}
			err := s.Put(context.Background(), nightly)
			if err == nil || !strings.HasPrefix(err.Error(), tc.says) {
				t.Fatalf("error %v, want one saying %q", err, tc.says)
			}
			for _, kind := range []error{cloud.ErrInvalid, cloud.ErrNotFound, cloud.ErrQuota} {
				if errors.Is(err, kind) != (kind == tc.kind) {
					t.Errorf("error %v: is %v %v", err, kind, errors.Is(err, kind))
				}
			}
		})
	}
}

func TestDelete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer awstest.Reply
		fails  bool
	}{
		{"deleted", awstest.OK(`{}`), false},
		{"gone", awstest.Reply{Status: 404, Code: "ResourceNotFoundException", Msg: "Schedule nightly does not exist."}, false},
		{"denied", awstest.AWSErr("AccessDeniedException", "not authorized to perform: scheduler:DeleteSchedule"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, stub := testSchedules(t)
			stub.On("DeleteSchedule", tc.answer)
			if err := s.Delete(context.Background(), group, "nightly"); (err != nil) != tc.fails {
				t.Fatalf("error %v", err)
			}
			req := stub.Only("DeleteSchedule")
			if req.Method != "DELETE" || req.Path != "/schedules/nightly" || req.Query.Get("groupName") != group || req.Query.Get("clientToken") == "" {
				t.Errorf("request %s %s?%s", req.Method, req.Path, req.Query.Encode())
			}
		})
	}
}

// TestNewEndpoint: "" keeps AWS's endpoint; New keeps cfg's region and
// the SDK's standard retryer.
func TestNewEndpoint(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1"}
	if o := New(cfg, stateMachineARN, roleARN, "").(*Schedules).Client.Options(); o.BaseEndpoint != nil || o.Region != "eu-west-1" || o.Retryer == nil || o.Retryer.MaxAttempts() != 3 {
		t.Errorf("endpoint %v, region %s, retryer %T", aws.ToString(o.BaseEndpoint), o.Region, o.Retryer)
	}
	if o := New(cfg, stateMachineARN, roleARN, "http://localhost:4566").(*Schedules).Client.Options(); aws.ToString(o.BaseEndpoint) != "http://localhost:4566" {
		t.Errorf("endpoint %v", aws.ToString(o.BaseEndpoint))
	}
	s := New(cfg, stateMachineARN, roleARN, "").(*Schedules)
	if s.StateMachineARN != stateMachineARN || s.RoleARN != roleARN {
		t.Errorf("schedules %+v", s)
	}
}
