package awsservice

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const (
	newTaskDefARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:2"
	taskARNPrefix = "arn:aws:ecs:eu-west-1:123456789012:task/berth/"
	appLogGroup   = "/berth/acme/my-app/production-0123456789"
	// deployedAt is when the deployment of newTaskDefARN began (epoch seconds).
	deployedAt = 1700000000
)

func TestUpdateServiceRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("UpdateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 2, 3)+`}`))
	r, err := c.UpdateService(context.Background(), cloud.ServiceUpdate{Name: serviceSpec.Name, TaskDefinitionARN: newTaskDefARN, DesiredCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("UpdateService").JSON, `{
		"cluster":"berth","service":"berth-acme-my-app-production-0123456789","taskDefinition":"`+newTaskDefARN+`",
		"desiredCount":3,"forceNewDeployment":true,"enableExecuteCommand":true,
		"deploymentConfiguration":{"minimumHealthyPercent":100,"maximumPercent":200,"deploymentCircuitBreaker":{"enable":true,"rollback":false}}
	}`)
	if r.Kind != cloud.KindService || r.ID != serviceARN || r.State != cloud.StateCreating || r.Outputs[cloud.OutDesired] != "3" {
		t.Errorf("resource %+v", r)
	}
}

// TestUpdateServiceKeepsTheCount: with KeepCount the request has no
// desiredCount, so ECS keeps what auto scaling set.
func TestUpdateServiceKeepsTheCount(t *testing.T) {
	c, stub := testPart(t)
	stub.On("UpdateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 5, 5)+`}`))
	if _, err := c.UpdateService(context.Background(), cloud.ServiceUpdate{Name: serviceSpec.Name, TaskDefinitionARN: newTaskDefARN, DesiredCount: 1, KeepCount: true}); err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("UpdateService").JSON, `{
		"cluster":"berth","service":"berth-acme-my-app-production-0123456789","taskDefinition":"`+newTaskDefARN+`",
		"forceNewDeployment":true,"enableExecuteCommand":true,
		"deploymentConfiguration":{"minimumHealthyPercent":100,"maximumPercent":200,"deploymentCircuitBreaker":{"enable":true,"rollback":false}}
	}`)
}

func TestUpdateServiceErrors(t *testing.T) {
	for _, tc := range []struct {
		code string
		want error
	}{
		{"ServiceNotFoundException", cloud.ErrNotFound},
		{"ServiceNotActiveException", cloud.ErrNotFound},
		{"InvalidParameterException", cloud.ErrInvalid},
	} {
		c, stub := testPart(t)
		stub.On("UpdateService", awstest.AWSErr(tc.code, "refused"))
		_, err := c.UpdateService(context.Background(), cloud.ServiceUpdate{Name: serviceSpec.Name, TaskDefinitionARN: newTaskDefARN, DesiredCount: 1})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "ecs UpdateService: "+tc.code) {
			t.Errorf("%s: error %v, want %v", tc.code, err, tc.want)
		}
	}
}

// rolloutService is the service in the middle of deploying newTaskDefARN
// over taskDefARN, behind the load balancer (container web). The old
// deployment comes first: ECS promises no order.
func rolloutService(rollout, reason string, running, desired int) string {
	return `{"services":[{"serviceArn":"` + serviceARN + `","serviceName":"` + serviceSpec.Name + `","status":"ACTIVE",` +
		`"loadBalancers":[{"targetGroupArn":"` + tgARN + `","containerName":"web","containerPort":80}],` +
		`"deployments":[{"id":"ecs-svc/1","status":"ACTIVE","taskDefinition":"` + taskDefARN + `","createdAt":1600000000,"rolloutState":"COMPLETED","runningCount":2,"desiredCount":2},` +
		`{"id":"ecs-svc/2","status":"PRIMARY","taskDefinition":"` + newTaskDefARN + `","createdAt":` + strconv.Itoa(deployedAt) + `,` +
		`"rolloutState":"` + rollout + `","rolloutStateReason":"` + reason + `","runningCount":` + strconv.Itoa(running) + `,"desiredCount":` + strconv.Itoa(desired) + `}]}]}`
}

// stoppedTask is a stopped task of the service, stopped at deployedAt+after.
func stoppedTask(id, taskDef, startedBy, stopCode, reason string, after int, containers string) string {
	return `{"taskArn":"` + taskARNPrefix + id + `","taskDefinitionArn":"` + taskDef + `","startedBy":"` + startedBy + `",` +
		`"lastStatus":"STOPPED","desiredStatus":"STOPPED","stopCode":"` + stopCode + `","stoppedReason":"` + reason + `",` +
		`"stoppedAt":` + strconv.Itoa(deployedAt+after) + `,"containers":[` + containers + `]}`
}

func container(name string, exitCode int, health, reason string) string {
	return `{"name":"` + name + `","lastStatus":"STOPPED","exitCode":` + strconv.Itoa(exitCode) + `,"healthStatus":"` + health + `","reason":"` + reason + `"}`
}

// stoppedTasks answers ListTasks and DescribeTasks with tasks.
func stoppedTasks(stub *awstest.Stub, tasks ...string) {
	var arns []string
	for _, task := range tasks {
		id := task[len(`{"taskArn":"`+taskARNPrefix):]
		arns = append(arns, `"`+taskARNPrefix+id[:strings.Index(id, `"`)]+`"`)
	}
	stub.On("ListTasks", awstest.OK(`{"taskArns":[`+strings.Join(arns, ",")+`]}`))
	if len(tasks) > 0 {
		stub.On("DescribeTasks", awstest.OK(`{"tasks":[`+strings.Join(tasks, ",")+`],"failures":[]}`))
	}
}

// taskDefinitionJSON: web is essential and logs with awslogs, as does
// log-router, which is not essential.
const taskDefinitionJSON = `{"taskDefinition":{"taskDefinitionArn":"` + newTaskDefARN + `","revision":2,"status":"ACTIVE","containerDefinitions":[` +
	`{"name":"log-router","essential":false,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"` + appLogGroup + `","awslogs-region":"eu-west-1","awslogs-stream-prefix":"berth"}}},` +
	`{"name":"web","essential":true,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"` + appLogGroup + `","awslogs-region":"eu-west-1","awslogs-stream-prefix":"berth"}}}]}}`

func rollout(t *testing.T, c *Part) cloud.Rollout {
	t.Helper()
	r, err := c.Rollout(context.Background(), serviceSpec.Name, newTaskDefARN)
	if err != nil {
		t.Fatal(err)
	}
	if r.Expected != serviceExpected {
		t.Errorf("expected %v", r.Expected)
	}
	return r
}

func checkOps(t *testing.T, stub *awstest.Stub, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(stub.Ops(), want) {
		t.Errorf("calls %v, want %v", stub.Ops(), want)
	}
}

// failedOps are a failed rollout's calls: the service, its stopped tasks
// and their task definition, and no log read (that is LogLines', in
// awsruntime).
var failedOps = []string{"DescribeServices", "ListTasks", "DescribeTasks", "DescribeTaskDefinition"}

func TestRolloutCompleted(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeServices", awstest.OK(rolloutService("COMPLETED", "ECS deployment ecs-svc/2 completed.", 2, 2)))
	r := rollout(t, c)
	if r.State != cloud.RolloutCompleted || r.Running != 2 || r.Desired != 2 || r.Failure != nil {
		t.Errorf("rollout %+v", r)
	}
	awstest.CheckJSON(t, stub.Only("DescribeServices").JSON, `{"cluster":"berth","services":["`+serviceSpec.Name+`"]}`)
	checkOps(t, stub, "DescribeServices") // no task lookups once done
}

func TestRolloutInProgress(t *testing.T) {
	t.Run("no stopped tasks", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "ECS deployment ecs-svc/2 in progress.", 1, 2)))
		stoppedTasks(stub)
		r := rollout(t, c)
		if r.State != cloud.RolloutInProgress || r.Running != 1 || r.Desired != 2 || r.Failure != nil {
			t.Errorf("rollout %+v", r)
		}
		awstest.CheckJSON(t, stub.Only("ListTasks").JSON, `{"cluster":"berth","serviceName":"`+serviceSpec.Name+`","desiredStatus":"STOPPED","maxResults":100}`)
		checkOps(t, stub, "DescribeServices", "ListTasks")
	})
	t.Run("completed short of tasks", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(rolloutService("COMPLETED", "", 1, 2)))
		stoppedTasks(stub)
		if r := rollout(t, c); r.State != cloud.RolloutInProgress {
			t.Errorf("rollout %+v", r)
		}
	})
	// The old revision's deployment completed long ago, but it is being
	// replaced: not PRIMARY, so not a completed rollout.
	t.Run("replaced deployment", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
		stoppedTasks(stub)
		r, err := c.Rollout(context.Background(), serviceSpec.Name, taskDefARN)
		if err != nil || r.State != cloud.RolloutInProgress || r.Running != 2 {
			t.Errorf("rollout %+v, %v", r, err)
		}
	})
	// A redeploy of the running revision: the draining deployment has the
	// same task definition and has completed; the new one has not.
	t.Run("redeploy of the same revision", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(strings.Replace(rolloutService("IN_PROGRESS", "", 0, 2), taskDefARN, newTaskDefARN, 1)))
		stoppedTasks(stub)
		if r := rollout(t, c); r.State != cloud.RolloutInProgress || r.Running != 0 {
			t.Errorf("rollout %+v", r)
		}
	})
}

// TestRolloutStoppedOnPurpose: tasks stopped by a scale-in or a person,
// tasks of the old revision and crashes of an earlier deployment of the
// same revision are not failures of this rollout.
func TestRolloutStoppedOnPurpose(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
	stoppedTasks(stub,
		stoppedTask("scaled", newTaskDefARN, "ecs-svc/2", "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/2)", 10,
			container("web", 143, "UNKNOWN", "")),
		stoppedTask("replaced", taskDefARN, "ecs-svc/1", "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/2)", 20,
			container("web", 137, "UNHEALTHY", "")),
		stoppedTask("old-crash", taskDefARN, "ecs-svc/1", "EssentialContainerExited", "Essential container in task exited", 30,
			container("web", 1, "UNKNOWN", "")),
		stoppedTask("earlier-deploy", newTaskDefARN, "ecs-svc/0", "EssentialContainerExited", "Essential container in task exited", 40,
			container("web", 1, "UNKNOWN", "")),
		stoppedTask("before", newTaskDefARN, "", "EssentialContainerExited", "Essential container in task exited", -50,
			container("web", 1, "UNKNOWN", "")),
		stoppedTask("stopped-by-hand", newTaskDefARN, "ecs-svc/2", "UserInitiated", "Task stopped by user", 60,
			container("web", 137, "UNKNOWN", "")),
		stoppedTask("sidecar", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 70,
			container("log-router", 1, "UNKNOWN", "")+","+container("web", 0, "UNKNOWN", "")),
	)
	// The last task passes the first look (any container may be essential);
	// the task definition says the one that exited 1 was not.
	stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
	r := rollout(t, c)
	if r.State != cloud.RolloutInProgress || r.Failure != nil {
		t.Errorf("rollout %+v, failure %+v", r, r.Failure)
	}
	checkOps(t, stub, failedOps...)
}

// TestRolloutCrash: an essential container exited 1. The earliest-stopped
// failed task is reported with its exit code, reason and the log stream
// of its container, which Rollout does not read.
func TestRolloutCrash(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
	stoppedTasks(stub,
		stoppedTask("later", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 200,
			container("web", 1, "UNKNOWN", "")),
		stoppedTask("first", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
			container("log-router", 2, "UNKNOWN", "")+","+container("web", 1, "UNKNOWN", "OutOfMemoryError: Container killed due to memory usage")),
	)
	stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
	r := rollout(t, c)
	one := 1
	want := &cloud.TaskFailure{
		Type: cloud.FailureContainerExited, TaskID: "first", Container: "web", ExitCode: &one,
		StoppedReason: "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
		LogGroup:      appLogGroup, LogStream: "berth/web/first",
	}
	if r.State != cloud.RolloutFailed || r.Running != 1 || r.Desired != 2 || !reflect.DeepEqual(r.Failure, want) {
		t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
	}
	awstest.CheckJSON(t, stub.Only("DescribeTasks").JSON, `{"cluster":"berth","tasks":["`+taskARNPrefix+`later","`+taskARNPrefix+`first"]}`)
	awstest.CheckJSON(t, stub.Only("DescribeTaskDefinition").JSON, `{"taskDefinition":"`+newTaskDefARN+`"}`)
	checkOps(t, stub, failedOps...)
}

func TestRolloutHealthCheckFailed(t *testing.T) {
	for _, tc := range []struct {
		name, task string
		exitCode   *int
	}{
		{"container health check", stoppedTask("sick", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Task failed container health checks", 100,
			container("log-router", 0, "HEALTHY", "")+","+container("web", 137, "UNHEALTHY", "")), ptr(137)},
		{"unhealthy container that exited", stoppedTask("sick", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
			container("log-router", 0, "HEALTHY", "")+","+container("web", 1, "UNHEALTHY", "")), ptr(1)},
		{"load balancer health check", stoppedTask("sick", newTaskDefARN, "ecs-svc/2", "ServiceSchedulerInitiated",
			"Task failed ELB health checks in (target-group "+tgARN+")", 100,
			`{"name":"worker","lastStatus":"STOPPED","exitCode":0},{"name":"web","lastStatus":"STOPPED","exitCode":143}`), ptr(143)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
			stoppedTasks(stub, tc.task)
			stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
			r := rollout(t, c)
			f := r.Failure
			if r.State != cloud.RolloutFailed || f == nil || f.Type != cloud.FailureHealthCheckFailed || f.TaskID != "sick" || f.Container != "web" ||
				!reflect.DeepEqual(f.ExitCode, tc.exitCode) ||
				f.LogGroup != appLogGroup || f.LogStream != "berth/web/sick" {
				t.Fatalf("rollout %+v, failure %+v", r, f)
			}
			checkOps(t, stub, failedOps...)
		})
	}
}

func TestRolloutTaskFailedToStart(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 0, 1)))
	stoppedTasks(stub, stoppedTask("unpulled", newTaskDefARN, "ecs-svc/2", "TaskFailedToStart",
		"CannotPullContainerError: pull image manifest has been retried 5 time(s)", 100,
		`{"name":"log-router","lastStatus":"STOPPED"},{"name":"web","lastStatus":"STOPPED","reason":"CannotPullContainerError: pull image manifest has been retried 5 time(s)"}`))
	stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
	r := rollout(t, c)
	// The stream may never have been written to: LogLines says so, not Rollout.
	want := &cloud.TaskFailure{Type: cloud.FailureTaskFailedToStart, TaskID: "unpulled", Container: "web",
		StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
		LogGroup:      appLogGroup, LogStream: "berth/web/unpulled"}
	if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
		t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
	}
	checkOps(t, stub, failedOps...)
}

func TestRolloutCircuitBreaker(t *testing.T) {
	const reason = "ECS deployment circuit breaker: tasks failed to start."
	t.Run("no stopped task left", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(rolloutService("FAILED", reason, 0, 2)))
		stoppedTasks(stub)
		r := rollout(t, c)
		if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, &cloud.TaskFailure{Type: cloud.FailureCircuitBreaker, StoppedReason: reason}) {
			t.Fatalf("rollout %+v, failure %+v", r, r.Failure)
		}
	})
	t.Run("with the task that failed", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(rolloutService("FAILED", reason, 0, 2)))
		stoppedTasks(stub, stoppedTask("crash", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
			container("web", 3, "UNKNOWN", "")))
		stub.On("DescribeTaskDefinition", awstest.OK(taskDefinitionJSON))
		r := rollout(t, c)
		want := &cloud.TaskFailure{Type: cloud.FailureCircuitBreaker, TaskID: "crash", Container: "web", ExitCode: ptr(3),
			StoppedReason: reason + "; Essential container in task exited", LogGroup: appLogGroup, LogStream: "berth/web/crash"}
		if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
			t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
		}
		checkOps(t, stub, failedOps...)
	})
}

// TestRolloutLogStream: the failure names the failed container's log
// stream when its task definition says it logs with awslogs, and none
// when the task definition cannot be read or it logs elsewhere; the
// failure is reported either way, and Rollout reads no logs.
func TestRolloutLogStream(t *testing.T) {
	crash := stoppedTask("crash", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
		container("web", 1, "UNKNOWN", ""))
	webLogs := func(logConfiguration string) awstest.Reply {
		return awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"` + newTaskDefARN + `","revision":2,"status":"ACTIVE","containerDefinitions":[` +
			`{"name":"web","essential":true` + logConfiguration + `}]}}`)
	}
	for _, tc := range []struct {
		name          string
		taskDef       awstest.Reply
		group, stream string
	}{
		{"awslogs", awstest.OK(taskDefinitionJSON), appLogGroup, "berth/web/crash"},
		{"another stream prefix", webLogs(`,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/other","awslogs-stream-prefix":"app"}}`),
			"/other", "app/web/crash"},
		{"task definition unreadable", awstest.AWSErr("AccessDeniedException", "not authorized to perform: ecs:DescribeTaskDefinition"), "", ""},
		{"another log driver", webLogs(`,"logConfiguration":{"logDriver":"splunk","options":{"splunk-url":"https://splunk.example"}}`), "", ""},
		{"no stream prefix", webLogs(`,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"` + appLogGroup + `"}}`), "", ""},
		{"no log configuration", webLogs(""), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
			stoppedTasks(stub, crash)
			stub.On("DescribeTaskDefinition", tc.taskDef)
			r := rollout(t, c)
			want := &cloud.TaskFailure{Type: cloud.FailureContainerExited, TaskID: "crash", Container: "web", ExitCode: ptr(1),
				StoppedReason: "Essential container in task exited", LogGroup: tc.group, LogStream: tc.stream}
			if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
				t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
			}
			checkOps(t, stub, failedOps...)
		})
	}
}

func TestRolloutNotFound(t *testing.T) {
	for name, answer := range map[string]string{
		"missing service": `{"services":[],"failures":[{"arn":"` + serviceARN + `","reason":"MISSING"}]}`,
		"replaced":        strings.ReplaceAll(rolloutService("IN_PROGRESS", "", 0, 2), newTaskDefARN, "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:3"),
	} {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(answer))
		if _, err := c.Rollout(context.Background(), serviceSpec.Name, newTaskDefARN); !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
		checkOps(t, stub, "DescribeServices")
	}
}

func TestRolloutListTasksRefused(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeServices", awstest.OK(rolloutService("IN_PROGRESS", "", 1, 2)))
	stub.On("ListTasks", awstest.AWSErr("AccessDeniedException", "not authorized to perform: ecs:ListTasks"))
	if _, err := c.Rollout(context.Background(), serviceSpec.Name, newTaskDefARN); err == nil || !strings.Contains(err.Error(), "ecs ListTasks: AccessDeniedException") {
		t.Fatalf("error %v", err)
	}
}

func ptr(i int) *int { return &i }
