package awsservice

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const jobTaskARN = taskARNPrefix + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

// jobRun is a job on newTaskDefARN (see rollout_test.go): web's command
// overridden, in the service's security group.
var jobRun = cloud.TaskRun{
	TaskDefinitionARN: newTaskDefARN, Container: "web", Command: []string{"sh", "-c", "php artisan migrate --force"},
	SecurityGroupID: "sg-0123", ClientToken: "job-01JABCDEF-attempt-1", StartedBy: "berth-job-01JABCDEF", Tags: awstest.Tags,
}

// jobTask is the job's task as ECS reports it; containers are its
// containers' JSON.
func jobTask(status, rest, containers string) string {
	return `{"taskArn":"` + jobTaskARN + `","taskDefinitionArn":"` + newTaskDefARN + `","clusterArn":"arn:aws:ecs:eu-west-1:123456789012:cluster/berth",` +
		`"lastStatus":"` + status + `","desiredStatus":"RUNNING","launchType":"FARGATE","startedBy":"berth-job-01JABCDEF"` + rest +
		`,"containers":[` + containers + `]}`
}

func TestRunTaskRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RunTask", awstest.OK(`{"tasks":[`+jobTask("PROVISIONING", "", `{"name":"log-router","lastStatus":"PENDING"},{"name":"web","lastStatus":"PENDING"}`)+`],"failures":[]}`))
	stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
	task, err := c.RunTask(context.Background(), jobRun)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("RunTask").JSON, `{
		"cluster":"berth","taskDefinition":"`+newTaskDefARN+`","count":1,"launchType":"FARGATE",
		"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-a","subnet-b"],"securityGroups":["sg-0123"],"assignPublicIp":"DISABLED"}},
		"overrides":{"containerOverrides":[{"name":"web","command":["sh","-c","php artisan migrate --force"]}]},
		"clientToken":"job-01JABCDEF-attempt-1","startedBy":"berth-job-01JABCDEF","propagateTags":"TASK_DEFINITION",
		"tags":[{"key":"berth:application","value":"my-app"},{"key":"berth:managed","value":"true"}]
	}`)
	awstest.CheckJSON(t, stub.Only("DescribeTaskDefinition").JSON, `{"taskDefinition":"`+newTaskDefARN+`"}`)
	want := cloud.Task{ARN: jobTaskARN, Status: cloud.TaskProvisioning, LogGroup: appLogGroup,
		LogStream: "berth/web/0f1e2d3c4b5a69788796a5b4c3d2e1f0", Expected: taskExpected}
	if !reflect.DeepEqual(task, want) {
		t.Errorf("task %+v\nwant %+v", task, want)
	}
}

// TestRunTaskWithoutTokenOrStartedBy: ECS takes no empty startedBy;
// without a token of the caller's, the SDK's keeps its retries one request.
func TestRunTaskWithoutTokenOrStartedBy(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RunTask", awstest.OK(`{"tasks":[`+jobTask("PROVISIONING", "", `{"name":"web"}`)+`]}`))
	stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
	run := jobRun
	run.ClientToken, run.StartedBy = "", ""
	if _, err := c.RunTask(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	body := stub.Only("RunTask").JSON
	if _, ok := body["startedBy"]; ok {
		t.Errorf("startedBy %v sent", body["startedBy"])
	}
	if tok, _ := body["clientToken"].(string); tok == "" {
		t.Errorf("no client token")
	}
}

// TestRunTaskStartedWithoutTaskDefinition: once the task has started, a
// task definition that cannot be read costs its log stream, not the run
// (a retry would find the task started by the same client token).
func TestRunTaskStartedWithoutTaskDefinition(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RunTask", awstest.OK(`{"tasks":[`+jobTask("PROVISIONING", "", `{"name":"web"}`)+`]}`))
	stub.On("DescribeTaskDefinition", awstest.AWSErr("ThrottlingException", "Rate exceeded"))
	task, err := c.RunTask(context.Background(), jobRun)
	if err != nil || task.ARN != jobTaskARN || task.LogStream != "" || task.LogGroup != "" {
		t.Fatalf("task %+v, error %v", task, err)
	}
}

func TestRunTaskFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer awstest.Reply
		kind   error // nil: neither invalid nor quota
		says   string
	}{
		{"missing cluster", awstest.OK(`{"tasks":[],"failures":[{"arn":"arn:aws:ecs:eu-west-1:123456789012:cluster/berth","reason":"MISSING"}]}`),
			cloud.ErrInvalid, "ecs RunTask: arn:aws:ecs:eu-west-1:123456789012:cluster/berth: MISSING"},
		{"no capacity", awstest.OK(`{"tasks":[],"failures":[{"reason":"Capacity is unavailable at this time. Please try again later or in a different availability zone"}]}`),
			cloud.ErrQuota, "ecs RunTask: Capacity is unavailable at this time."},
		{"task limit", awstest.OK(`{"tasks":[],"failures":[{"reason":"You've reached the limit on the number of tasks you can run concurrently"}]}`),
			cloud.ErrQuota, "ecs RunTask: You've reached the limit"},
		{"resources", awstest.OK(`{"tasks":[],"failures":[{"reason":"RESOURCE:MEMORY"}]}`), cloud.ErrQuota, "ecs RunTask: RESOURCE:MEMORY"},
		{"invalid", awstest.OK(`{"tasks":[],"failures":[{"arn":"` + newTaskDefARN + `","reason":"INVALID","detail":"The task definition is invalid."}]}`),
			cloud.ErrInvalid, "ecs RunTask: " + newTaskDefARN + ": INVALID The task definition is invalid."},
		{"other reason", awstest.OK(`{"tasks":[],"failures":[{"reason":"AGENT"}]}`), nil, "ecs RunTask: AGENT"},
		{"no reason", awstest.OK(`{"tasks":[],"failures":[]}`), nil, "ecs RunTask: no task started"},
		{"refused", awstest.AWSErr("InvalidParameterException", "Task definition does not support launch_type FARGATE."),
			cloud.ErrInvalid, "ecs RunTask: InvalidParameterException"},
		{"throttled", awstest.AWSErr("ThrottlingException", "Rate exceeded"), nil, "ecs RunTask: ThrottlingException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("RunTask", tc.answer)
			_, err := c.RunTask(context.Background(), jobRun)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v, want one saying %q", err, tc.says)
			}
			for _, kind := range []error{cloud.ErrInvalid, cloud.ErrQuota} {
				if errors.Is(err, kind) != (kind == tc.kind) {
					t.Errorf("error %v: is %v %v", err, kind, errors.Is(err, kind))
				}
			}
			checkOps(t, stub, "RunTask") // no task, nothing more to read
		})
	}
}

func TestDescribeTask(t *testing.T) {
	started, stopped := time.Unix(deployedAt, 0).UTC(), time.Unix(deployedAt+95, 0).UTC()
	for _, tc := range []struct {
		name, task string
		want       cloud.Task
	}{
		{"running", jobTask("RUNNING", `,"startedAt":1700000000`,
			`{"name":"log-router","lastStatus":"RUNNING"},{"name":"web","lastStatus":"RUNNING"}`),
			cloud.Task{ARN: jobTaskARN, Status: cloud.TaskRunning, StartedAt: started}},
		// The other container's exit code is not the job's.
		{"stopped", jobTask("STOPPED", `,"startedAt":1700000000,"stoppedAt":1700000095,"stopCode":"EssentialContainerExited","stoppedReason":"Essential container in task exited"`,
			`{"name":"web","lastStatus":"STOPPED","exitCode":3},{"name":"log-router","lastStatus":"STOPPED","exitCode":0}`),
			cloud.Task{ARN: jobTaskARN, Status: cloud.TaskStopped, StartedAt: started, StoppedAt: stopped, ExitCode: ptr(3),
				StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited"}},
		{"failed to start", jobTask("STOPPED", `,"stoppedAt":1700000095,"stopCode":"TaskFailedToStart","stoppedReason":"CannotPullContainerError: pull access denied"`,
			`{"name":"log-router","lastStatus":"STOPPED"},{"name":"web","lastStatus":"STOPPED","reason":"CannotPullContainerError"}`),
			cloud.Task{ARN: jobTaskARN, Status: cloud.TaskStopped, StoppedAt: stopped, StopCode: "TaskFailedToStart",
				StoppedReason: "CannotPullContainerError: pull access denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeTasks", awstest.OK(`{"tasks":[`+tc.task+`],"failures":[]}`))
			stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
			task, err := c.DescribeTask(context.Background(), jobTaskARN, "web")
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.LogGroup, want.LogStream, want.Expected = appLogGroup, "berth/web/0f1e2d3c4b5a69788796a5b4c3d2e1f0", taskExpected
			if !reflect.DeepEqual(task, want) {
				t.Errorf("task %+v\nwant %+v", task, want)
			}
			awstest.CheckJSON(t, stub.Only("DescribeTasks").JSON, `{"cluster":"berth","tasks":["`+jobTaskARN+`"]}`)
			awstest.CheckJSON(t, stub.Only("DescribeTaskDefinition").JSON, `{"taskDefinition":"`+newTaskDefARN+`"}`)
		})
	}
}

// TestDescribeTaskLogStream: the stream is the named container's; a task
// definition deleted since leaves none, and one that cannot be read
// otherwise is an error (the caller asks again).
func TestDescribeTaskLogStream(t *testing.T) {
	for _, tc := range []struct {
		name, container string
		taskDef         awstest.Reply
		group, stream   string
		fails           bool
	}{
		{"other container", "log-router", awstest.OK(taskDefinitionJSON), appLogGroup, "berth/log-router/0f1e2d3c4b5a69788796a5b4c3d2e1f0", false},
		{"no such container", "worker", awstest.OK(taskDefinitionJSON), "", "", false},
		{"task definition deleted", "web", awstest.AWSErr("ClientException", "Unable to describe task definition."), "", "", false},
		{"task definition unreadable", "web", awstest.AWSErr("AccessDeniedException", "not authorized to perform: ecs:DescribeTaskDefinition"), "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeTasks", awstest.OK(`{"tasks":[`+jobTask("RUNNING", "", `{"name":"log-router"},{"name":"web"}`)+`]}`))
			stub.On("DescribeTaskDefinition", tc.taskDef)
			task, err := c.DescribeTask(context.Background(), jobTaskARN, tc.container)
			if (err != nil) != tc.fails || task.LogGroup != tc.group || task.LogStream != tc.stream {
				t.Fatalf("task %+v, error %v", task, err)
			}
		})
	}
}

func TestDescribeTaskNotFound(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		missing      bool
	}{
		{"missing", `{"tasks":[],"failures":[{"arn":"` + jobTaskARN + `","reason":"MISSING"}]}`, true},
		{"nothing", `{"tasks":[],"failures":[]}`, true},
		{"other failure", `{"tasks":[],"failures":[{"arn":"` + jobTaskARN + `","reason":"INTERNAL ERROR"}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeTasks", awstest.OK(tc.answer))
			_, err := c.DescribeTask(context.Background(), jobTaskARN, "web")
			if err == nil || errors.Is(err, cloud.ErrNotFound) != tc.missing {
				t.Fatalf("error %v, not found %v", err, tc.missing)
			}
			checkOps(t, stub, "DescribeTasks")
		})
	}
}

func TestStopTask(t *testing.T) {
	long := strings.Repeat("é", 300) // characters, not bytes
	for _, tc := range []struct {
		name, reason string
		answer       awstest.Reply
		body         string
		fails        bool
		kind         error // the error's kind, when it fails with one
	}{
		{"running", "Cancelled by alice@example.com", awstest.OK(`{"task":` + jobTask("RUNNING", `,"desiredStatus":"STOPPED"`, `{"name":"web"}`) + `}`),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"Cancelled by alice@example.com"}`, false, nil},
		{"long reason", long, awstest.OK(`{"task":` + jobTask("RUNNING", "", `{"name":"web"}`) + `}`),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"` + strings.Repeat("é", 255) + `"}`, false, nil},
		{"no reason", "", awstest.OK(`{"task":` + jobTask("RUNNING", "", `{"name":"web"}`) + `}`),
			`{"cluster":"berth","task":"` + jobTaskARN + `"}`, false, nil},
		{"already stopped", "timed out", awstest.OK(`{"task":` + jobTask("STOPPED", `,"stopCode":"EssentialContainerExited"`, `{"name":"web","exitCode":0}`) + `}`),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"timed out"}`, false, nil},
		{"forgotten", "timed out", awstest.AWSErr("InvalidParameterException", "The referenced task was not found."),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"timed out"}`, false, nil},
		{"refused", "timed out", awstest.AWSErr("InvalidParameterException", "Invalid identifier: Unexpected number of separators"),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"timed out"}`, true, cloud.ErrInvalid},
		{"denied", "timed out", awstest.AWSErr("AccessDeniedException", "not authorized to perform: ecs:StopTask"),
			`{"cluster":"berth","task":"` + jobTaskARN + `","reason":"timed out"}`, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("StopTask", tc.answer)
			err := c.StopTask(context.Background(), jobTaskARN, tc.reason)
			if (err != nil) != tc.fails || tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Fatalf("error %v", err)
			}
			awstest.CheckJSON(t, stub.Only("StopTask").JSON, tc.body)
		})
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{{"abc", 2, "ab"}, {"abc", 3, "abc"}, {"abc", 5, "abc"}, {"ééé", 2, "éé"}, {"", 2, ""}, {"abc", 0, ""}} {
		if got := truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
