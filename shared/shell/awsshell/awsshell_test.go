package awsshell_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/shell/awsshell"
)

const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:ExecuteCommand","Resource":"arn:aws:ecs:eu-west-1:123456789012:task/berth/*"}]}`

func TestAssumeSendsGrant(t *testing.T) {
	s := awstest.New(t)
	s.On("AssumeRole", awstest.OK(`<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>sk</SecretAccessKey>`+
		`<SessionToken>st</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>`+
		`<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/berth-shell/u-1</Arn><AssumedRoleId>AROA:u-1</AssumedRoleId></AssumedRoleUser>`))
	got, err := awsshell.New(s.Config(), s.URL, s.URL).Assume(context.Background(), shell.Grant{
		RoleARN: "arn:aws:iam::123456789012:role/berth-shell", SessionName: "berth-u-1", Policy: policy,
		Duration: 15 * time.Minute, Tags: map[string]string{"berth:user": "u-1", "berth:environment": "env-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, s.Only("AssumeRole").Form, map[string]string{
		"Action": "AssumeRole", "Version": "2011-06-15",
		"RoleArn": "arn:aws:iam::123456789012:role/berth-shell", "RoleSessionName": "berth-u-1",
		"Policy": policy, "DurationSeconds": "900",
		"Tags.member.1.Key": "berth:environment", "Tags.member.1.Value": "env-1",
		"Tags.member.2.Key": "berth:user", "Tags.member.2.Value": "u-1",
	})
	want := shell.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "sk", SessionToken: "st",
		Expiration: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)}
	if !got.Expiration.Equal(want.Expiration) {
		t.Errorf("expiration %v, want %v", got.Expiration, want.Expiration)
	}
	got.Expiration = want.Expiration
	if got != want {
		t.Errorf("credentials %+v, want %+v", got, want)
	}
}

func TestAssumeLeavesDefaultsOut(t *testing.T) {
	s := awstest.New(t)
	s.On("AssumeRole", awstest.OK(`<Credentials><AccessKeyId>a</AccessKeyId><SecretAccessKey>b</SecretAccessKey><SessionToken>c</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>`))
	if _, err := awsshell.New(s.Config(), s.URL, s.URL).Assume(context.Background(), shell.Grant{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s1"}); err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, s.Only("AssumeRole").Form, map[string]string{
		"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1",
	})
}

func TestAssumeErrors(t *testing.T) {
	for _, c := range []struct {
		code   string
		denied bool
	}{
		{"AccessDenied", true},
		{"MalformedPolicyDocument", false},
		{"PackedPolicyTooLarge", false},
		{"RegionDisabledException", false},
	} {
		t.Run(c.code, func(t *testing.T) {
			s := awstest.New(t)
			s.On("AssumeRole", awstest.AWSErr(c.code, "the "+c.code+" message"))
			_, err := awsshell.New(s.Config(), s.URL, s.URL).Assume(context.Background(), shell.Grant{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s1", Policy: policy})
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, shell.ErrDenied) != c.denied {
				t.Errorf("errors.Is(%v, ErrDenied) = %v, want %v", err, !c.denied, c.denied)
			}
			if !strings.Contains(err.Error(), "the "+c.code+" message") {
				t.Errorf("%v does not carry STS's message", err)
			}
		})
	}
}

func arns(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task/berth/t%03d", i))
	}
	return out
}

func page(arns []string, next string) awstest.Reply {
	body := `{"taskArns":["` + strings.Join(arns, `","`) + `"]`
	if next != "" {
		body += `,"nextToken":"` + next + `"`
	}
	return awstest.OK(body + "}")
}

func TestRunningTasksFollowsPages(t *testing.T) {
	s := awstest.New(t)
	s.On("ListTasks", page(arns(0, 2), "p2"), page(arns(2, 3), ""))
	got, err := awsshell.New(s.Config(), s.URL, s.URL).RunningTasks(context.Background(), "berth", "app-env-web")
	if err != nil {
		t.Fatal(err)
	}
	if want := arns(0, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("tasks %v, want %v", got, want)
	}
	calls := s.All("ListTasks")
	if len(calls) != 2 {
		t.Fatalf("%d ListTasks calls, want 2", len(calls))
	}
	awstest.CheckJSON(t, calls[0].JSON, `{"cluster":"berth","serviceName":"app-env-web","desiredStatus":"RUNNING","maxResults":100}`)
	awstest.CheckJSON(t, calls[1].JSON, `{"cluster":"berth","serviceName":"app-env-web","desiredStatus":"RUNNING","maxResults":100,"nextToken":"p2"}`)
}

func TestRunningTasksStopsAtMax(t *testing.T) {
	s := awstest.New(t)
	s.On("ListTasks", page(arns(0, 60), "p2"), page(arns(60, 120), "p3"), page(arns(120, 130), ""))
	got, err := awsshell.New(s.Config(), s.URL, s.URL).RunningTasks(context.Background(), "berth", "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := arns(0, awsshell.MaxTasks); !reflect.DeepEqual(got, want) {
		t.Errorf("%d tasks, want the first %d", len(got), len(want))
	}
	if n := len(s.All("ListTasks")); n != 2 {
		t.Errorf("%d ListTasks calls, want 2 (none once %d are listed)", n, awsshell.MaxTasks)
	}
}

func TestRunningTasksNone(t *testing.T) {
	s := awstest.New(t)
	s.On("ListTasks", awstest.OK(`{"taskArns":[]}`))
	got, err := awsshell.New(s.Config(), s.URL, s.URL).RunningTasks(context.Background(), "berth", "web")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("RunningTasks = %#v, %v; want an empty list", got, err)
	}
}

func TestRunningTasksErrors(t *testing.T) {
	for _, c := range []struct {
		code   string
		denied bool
	}{
		{"AccessDeniedException", true},
		{"ServiceNotFoundException", false},
		{"ClusterNotFoundException", false},
	} {
		t.Run(c.code, func(t *testing.T) {
			s := awstest.New(t)
			s.On("ListTasks", awstest.AWSErr(c.code, "the "+c.code+" message"))
			_, err := awsshell.New(s.Config(), s.URL, s.URL).RunningTasks(context.Background(), "berth", "web")
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, shell.ErrDenied) != c.denied {
				t.Errorf("errors.Is(%v, ErrDenied) = %v, want %v", err, !c.denied, c.denied)
			}
		})
	}
}
