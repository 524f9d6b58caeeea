package shell

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
)

func TestSessionPolicy(t *testing.T) {
	doc, err := SessionPolicy("eu-west-1", "123456789012", "berth", "0123abcd")
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	const want = `{"Version":"2012-10-17","Statement":[
	 {"Sid":"ExecIntoThisEnvironmentsTasks","Effect":"Allow","Action":"ecs:ExecuteCommand",
	  "Resource":"arn:aws:ecs:eu-west-1:123456789012:task/berth/*",
	  "Condition":{"StringEquals":{"aws:ResourceTag/berth:uid":"0123abcd"}}},
	 {"Sid":"OnItsCluster","Effect":"Allow","Action":"ecs:ExecuteCommand","Resource":"arn:aws:ecs:eu-west-1:123456789012:cluster/berth"},
	 {"Sid":"FindItsTasks","Effect":"Allow","Action":["ecs:DescribeTasks","ecs:ListTasks"],"Resource":"*",
	  "Condition":{"ArnEquals":{"ecs:cluster":"arn:aws:ecs:eu-west-1:123456789012:cluster/berth"}}}]}`
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("policy\n%s\nwant\n%s", doc, want)
	}
}

type envs map[string]apps.Environment

func (e envs) GetEnvironment(_ context.Context, org, app, name string) (apps.Environment, error) {
	if env, ok := e[name]; ok {
		return env, nil
	}
	return apps.Environment{}, apps.NotFound("no environment %q", name)
}

type access struct {
	tasks    []string
	listErr  error
	assumErr error
	grants   []Grant
	listed   [][2]string
}

func (a *access) Assume(_ context.Context, g Grant) (Credentials, error) {
	a.grants = append(a.grants, g)
	if a.assumErr != nil {
		return Credentials{}, a.assumErr
	}
	return Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "t", Expiration: time.Unix(1, 0)}, nil
}

func (a *access) RunningTasks(_ context.Context, cluster, service string) ([]string, error) {
	a.listed = append(a.listed, [2]string{cluster, service})
	return a.tasks, a.listErr
}

const (
	clusterARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/berth"
	task1      = "arn:aws:ecs:eu-west-1:123456789012:task/berth/1111aaaa"
	task2      = "arn:aws:ecs:eu-west-1:123456789012:task/berth/2222bbbb"
	role       = "arn:aws:iam::123456789012:role/berth-shell"
)

func staging(status apps.Status, uid string) apps.Environment {
	return apps.Environment{Organisation: "acme", Application: "shop", Name: "staging", UID: uid, Status: status,
		Compose:      compose.Definition{Containers: []compose.Container{{Name: "web"}, {Name: "worker"}}},
		Provisioning: apps.Provisioning{Outputs: map[string]string{apps.OutCluster: clusterARN, apps.OutServiceName: "berth-shop-staging"}}}
}

func TestOpen(t *testing.T) {
	a := &access{tasks: []string{task1, task2}}
	s := &Service{Store: envs{"staging": staging(apps.StatusActive, "0123abcd")}, Access: a, RoleARN: role}
	sess, err := s.Open(context.Background(), "acme", "shop", "staging")
	if err != nil {
		t.Fatal(err)
	}
	if a.listed[0] != [2]string{clusterARN, "berth-shop-staging"} {
		t.Errorf("listed %v", a.listed)
	}
	if sess.TaskARN != task1 || sess.TaskID != "1111aaaa" || sess.Cluster != "berth" || sess.Region != "eu-west-1" ||
		sess.Organisation != "acme" || sess.EnvironmentUID != "0123abcd" || sess.ExpiresIn != time.Hour || sess.Credentials.AccessKeyID != "ASIA" ||
		!reflect.DeepEqual(sess.Containers, []string{"web", "worker"}) {
		t.Errorf("session %+v", sess)
	}
	if want := "aws ecs execute-command --region eu-west-1 --cluster berth --task 1111aaaa --container web --interactive --command /bin/sh"; sess.Command != want {
		t.Errorf("command\n%s\nwant\n%s", sess.Command, want)
	}
	g := a.grants[0]
	policy, _ := SessionPolicy("eu-west-1", "123456789012", "berth", "0123abcd")
	if g.RoleARN != role || g.Policy != policy || g.Duration != time.Hour || g.SessionName != "berth-0123abcd" {
		t.Errorf("grant %+v", g)
	}
}

func TestOpenRefusals(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   apps.Environment
		a     *access
		check func(error) bool
	}{
		{"creating", staging(apps.StatusCreating, "u"), &access{tasks: []string{task1}}, func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{"failed", staging(apps.StatusFailed, "u"), &access{tasks: []string{task1}}, func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{"no service", func() apps.Environment {
			e := staging(apps.StatusActive, "u")
			delete(e.Outputs, apps.OutServiceName)
			return e
		}(), &access{tasks: []string{task1}}, func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{"no running task", staging(apps.StatusActive, "u"), &access{}, func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{"tasks not listed", staging(apps.StatusActive, "u"), &access{listErr: errors.New("throttled")}, func(err error) bool { return errors.Is(err, apps.ErrUnavailable) }},
		{"credentials refused", staging(apps.StatusActive, "u"), &access{tasks: []string{task1}, assumErr: ErrDenied}, func(err error) bool {
			return errors.Is(err, apps.ErrUnavailable) && errors.Is(err, ErrDenied)
		}},
		{"an unreadable task ARN", staging(apps.StatusActive, "u"), &access{tasks: []string{"arn:aws:ecs:eu-west-1:123456789012:task/1111aaaa"}}, func(err error) bool {
			return err != nil && !errors.Is(err, apps.ErrConflict)
		}},
	} {
		s := &Service{Store: envs{"staging": c.env}, Access: c.a, RoleARN: role}
		_, err := s.Open(context.Background(), "acme", "shop", "staging")
		if !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.a.assumErr == nil && len(c.a.grants) != 0 {
			t.Errorf("%s: credentials issued", c.name)
		}
	}
}

var stsName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestSessionName(t *testing.T) {
	for _, uid := range []string{"0123abcd", strings.Repeat("f", 32), strings.Repeat("a", 100)} {
		n := sessionName(apps.Environment{UID: uid})
		if !stsName.MatchString(n) || !strings.HasPrefix(n, "berth-") || !strings.HasPrefix("berth-"+uid, n) {
			t.Errorf("uid %q: %q", uid, n)
		}
	}
}
