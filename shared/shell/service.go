package shell

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// Duration is how long the credentials last, as Quant's expiresIn tells.
const Duration = time.Hour

// Store is what shell access needs of the records.
type Store interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
}

// Service issues shell access.
type Service struct {
	Store  Store
	Access Access
	// RoleARN is the role the credentials are of: it may exec into any
	// tenant task; each session's policy narrows it to one environment.
	RoleARN string
}

// Session is what getSshAccessCredentials answers.
type Session struct {
	Credentials    Credentials
	Cluster        string // name
	TaskARN        string
	TaskID         string
	Containers     []string
	Region         string
	Organisation   string
	ExpiresIn      time.Duration
	Command        string // the aws CLI line a user pastes
	EnvironmentUID string
}

// Open issues credentials that can exec into env's running tasks, and no others.
func (s *Service) Open(ctx context.Context, org, app, name string) (Session, error) {
	env, err := s.Store.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return Session{}, err
	}
	cluster, service := env.Outputs[apps.OutCluster], env.Outputs[apps.OutServiceName]
	if env.Status != apps.StatusActive || service == "" {
		return Session{}, apps.Conflict("environment %q is %s; shell access needs an ACTIVE environment", env.Name, env.Status)
	}
	tasks, err := s.Access.RunningTasks(ctx, cluster, service)
	if err != nil {
		return Session{}, apps.Unavailable(err, "the environment's tasks could not be listed; retry")
	}
	if len(tasks) == 0 {
		return Session{}, apps.Conflict("environment %q has no running task; start it (PUT .../state with action start) and try again", env.Name)
	}
	task := tasks[0]
	region, account, clusterName, taskID, ok := parseTaskARN(task)
	if !ok {
		return Session{}, fmt.Errorf("ECS answered a task ARN Berth cannot read: %q", task)
	}
	policy, err := SessionPolicy(region, account, clusterName, env.UID)
	if err != nil {
		return Session{}, err
	}
	creds, err := s.Access.Assume(ctx, Grant{RoleARN: s.RoleARN, SessionName: sessionName(env), Policy: policy, Duration: Duration})
	if err != nil {
		return Session{}, apps.Unavailable(err, "shell access credentials could not be issued; retry")
	}
	var containers []string
	for _, c := range env.Compose.Containers {
		containers = append(containers, c.Name)
	}
	sess := Session{Credentials: creds, Cluster: clusterName, TaskARN: task, TaskID: taskID, Containers: containers,
		Region: region, Organisation: org, ExpiresIn: Duration, EnvironmentUID: env.UID}
	container := ""
	if len(containers) > 0 {
		container = containers[0]
	}
	sess.Command = fmt.Sprintf("aws ecs execute-command --region %s --cluster %s --task %s --container %s --interactive --command /bin/sh", region, clusterName, taskID, container)
	return sess, nil
}

// SessionPolicy allows ECS Exec into the tasks tagged with the
// environment's uid on its cluster, and finding them: nothing else, whatever
// the role allows.
func SessionPolicy(region, account, cluster, uid string) (string, error) {
	clusterARN := fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, account, cluster)
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Sid": "ExecIntoThisEnvironmentsTasks", "Effect": "Allow", "Action": "ecs:ExecuteCommand",
				"Resource":  fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/*", region, account, cluster),
				"Condition": map[string]any{"StringEquals": map[string]string{"aws:ResourceTag/" + cloud.TagUID: uid}}},
			{"Sid": "OnItsCluster", "Effect": "Allow", "Action": "ecs:ExecuteCommand", "Resource": clusterARN},
			{"Sid": "FindItsTasks", "Effect": "Allow", "Action": []string{"ecs:DescribeTasks", "ecs:ListTasks"}, "Resource": "*",
				"Condition": map[string]any{"ArnEquals": map[string]string{"ecs:cluster": clusterARN}}},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// parseTaskARN reads arn:aws:ecs:<region>:<account>:task/<cluster>/<id>.
func parseTaskARN(arn string) (region, account, cluster, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "ecs" {
		return "", "", "", "", false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "task" {
		return "", "", "", "", false
	}
	return parts[3], parts[4], res[1], res[2], true
}

// sessionName names the session in CloudTrail: berth-<uid>, within STS's
// 64 characters of [\w+=,.@-].
func sessionName(env apps.Environment) string {
	n := "berth-" + env.UID
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}
