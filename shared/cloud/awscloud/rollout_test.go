package awscloud

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

const (
	newTaskDefARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:2"
	taskARNPrefix = "arn:aws:ecs:eu-west-1:123456789012:task/berth/"
	appLogGroup   = "/berth/acme/my-app/production-0123456789"
	// deployedAt is when the deployment of newTaskDefARN began (epoch seconds).
	deployedAt = 1700000000
)

func TestUpdateServiceRequest(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("UpdateService", ok(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 2, 3)+`}`))
	r, err := c.UpdateService(context.Background(), cloud.ServiceUpdate{Name: serviceSpec.Name, TaskDefinitionARN: newTaskDefARN, DesiredCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, stub.only("UpdateService").JSON, `{
		"cluster":"berth","service":"berth-acme-my-app-production-0123456789","taskDefinition":"`+newTaskDefARN+`",
		"desiredCount":3,"forceNewDeployment":true,
		"deploymentConfiguration":{"minimumHealthyPercent":100,"maximumPercent":200,"deploymentCircuitBreaker":{"enable":true,"rollback":false}}
	}`)
	if r.Kind != cloud.KindService || r.ID != serviceARN || r.State != cloud.StateCreating || r.Outputs[cloud.OutDesired] != "3" {
		t.Errorf("resource %+v", r)
	}
}

// TestUpdateServiceKeepsTheCount: with KeepCount the request has no
// desiredCount, so ECS keeps what auto scaling set.
func TestUpdateServiceKeepsTheCount(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("UpdateService", ok(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 5, 5)+`}`))
	if _, err := c.UpdateService(context.Background(), cloud.ServiceUpdate{Name: serviceSpec.Name, TaskDefinitionARN: newTaskDefARN, DesiredCount: 1, KeepCount: true}); err != nil {
		t.Fatal(err)
	}
	checkJSON(t, stub.only("UpdateService").JSON, `{
		"cluster":"berth","service":"berth-acme-my-app-production-0123456789","taskDefinition":"`+newTaskDefARN+`",
		"forceNewDeployment":true,
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
		c, stub := testCloud(t)
		stub.on("UpdateService", awsErr(tc.code, "refused"))
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
func stoppedTasks(stub *awsStub, tasks ...string) {
	var arns []string
	for _, task := range tasks {
		id := task[len(`{"taskArn":"`+taskARNPrefix):]
		arns = append(arns, `"`+taskARNPrefix+id[:strings.Index(id, `"`)]+`"`)
	}
	stub.on("ListTasks", ok(`{"taskArns":[`+strings.Join(arns, ",")+`]}`))
	if len(tasks) > 0 {
		stub.on("DescribeTasks", ok(`{"tasks":[`+strings.Join(tasks, ",")+`],"failures":[]}`))
	}
}

// taskDefinitionJSON: web is essential and logs with awslogs; log-router is not essential.
const taskDefinitionJSON = `{"taskDefinition":{"taskDefinitionArn":"` + newTaskDefARN + `","revision":2,"status":"ACTIVE","containerDefinitions":[` +
	`{"name":"log-router","essential":false,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"` + appLogGroup + `","awslogs-region":"eu-west-1","awslogs-stream-prefix":"berth"}}},` +
	`{"name":"web","essential":true,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"` + appLogGroup + `","awslogs-region":"eu-west-1","awslogs-stream-prefix":"berth"}}}]}}`

// logEvents is the last n lines, "line 1" the oldest.
func logEvents(n int) (string, []string) {
	var events, lines []string
	for i := 1; i <= n; i++ {
		lines = append(lines, "line "+strconv.Itoa(i))
		events = append(events, `{"timestamp":`+strconv.Itoa(deployedAt*1000+i)+`,"message":"line `+strconv.Itoa(i)+`","ingestionTime":`+strconv.Itoa(deployedAt*1000+i+5)+`}`)
	}
	return `{"events":[` + strings.Join(events, ",") + `],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}`, lines
}

func rollout(t *testing.T, c *Cloud) cloud.Rollout {
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

func checkOps(t *testing.T, stub *awsStub, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(stub.ops(), want) {
		t.Errorf("calls %v, want %v", stub.ops(), want)
	}
}

func TestRolloutCompleted(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeServices", ok(rolloutService("COMPLETED", "ECS deployment ecs-svc/2 completed.", 2, 2)))
	r := rollout(t, c)
	if r.State != cloud.RolloutCompleted || r.Running != 2 || r.Desired != 2 || r.Failure != nil {
		t.Errorf("rollout %+v", r)
	}
	checkJSON(t, stub.only("DescribeServices").JSON, `{"cluster":"berth","services":["`+serviceSpec.Name+`"]}`)
	checkOps(t, stub, "DescribeServices") // no task lookups once done
}

func TestRolloutInProgress(t *testing.T) {
	t.Run("no stopped tasks", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "ECS deployment ecs-svc/2 in progress.", 1, 2)))
		stoppedTasks(stub)
		r := rollout(t, c)
		if r.State != cloud.RolloutInProgress || r.Running != 1 || r.Desired != 2 || r.Failure != nil {
			t.Errorf("rollout %+v", r)
		}
		checkJSON(t, stub.only("ListTasks").JSON, `{"cluster":"berth","serviceName":"`+serviceSpec.Name+`","desiredStatus":"STOPPED","maxResults":100}`)
		checkOps(t, stub, "DescribeServices", "ListTasks")
	})
	t.Run("completed short of tasks", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(rolloutService("COMPLETED", "", 1, 2)))
		stoppedTasks(stub)
		if r := rollout(t, c); r.State != cloud.RolloutInProgress {
			t.Errorf("rollout %+v", r)
		}
	})
	// The old revision's deployment completed long ago, but it is being
	// replaced: not PRIMARY, so not a completed rollout.
	t.Run("replaced deployment", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
		stoppedTasks(stub)
		r, err := c.Rollout(context.Background(), serviceSpec.Name, taskDefARN)
		if err != nil || r.State != cloud.RolloutInProgress || r.Running != 2 {
			t.Errorf("rollout %+v, %v", r, err)
		}
	})
	// A redeploy of the running revision: the draining deployment has the
	// same task definition and has completed; the new one has not.
	t.Run("redeploy of the same revision", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(strings.Replace(rolloutService("IN_PROGRESS", "", 0, 2), taskDefARN, newTaskDefARN, 1)))
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
	c, stub := testCloud(t)
	stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
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
	stub.on("DescribeTaskDefinition", ok(taskDefinitionJSON))
	r := rollout(t, c)
	if r.State != cloud.RolloutInProgress || r.Failure != nil {
		t.Errorf("rollout %+v, failure %+v", r, r.Failure)
	}
	if len(stub.all("GetLogEvents")) != 0 {
		t.Error("logs read without a failure")
	}
}

// TestRolloutCrash: an essential container exited 1. The earliest-stopped
// failed task is reported with its exit code, reason and last log lines.
func TestRolloutCrash(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
	stoppedTasks(stub,
		stoppedTask("later", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 200,
			container("web", 1, "UNKNOWN", "")),
		stoppedTask("first", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
			container("log-router", 2, "UNKNOWN", "")+","+container("web", 1, "UNKNOWN", "OutOfMemoryError: Container killed due to memory usage")),
	)
	stub.on("DescribeTaskDefinition", ok(taskDefinitionJSON))
	events, lines := logEvents(cloud.MaxFailureLogLines)
	stub.on("GetLogEvents", ok(events))
	r := rollout(t, c)
	one := 1
	want := &cloud.TaskFailure{
		Type: cloud.FailureContainerExited, TaskID: "first", Container: "web", ExitCode: &one,
		StoppedReason: "Essential container in task exited: OutOfMemoryError: Container killed due to memory usage",
		LogLines:      lines,
	}
	if r.State != cloud.RolloutFailed || r.Running != 1 || r.Desired != 2 || !reflect.DeepEqual(r.Failure, want) {
		t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
	}
	checkJSON(t, stub.only("DescribeTasks").JSON, `{"cluster":"berth","tasks":["`+taskARNPrefix+`later","`+taskARNPrefix+`first"]}`)
	checkJSON(t, stub.only("DescribeTaskDefinition").JSON, `{"taskDefinition":"`+newTaskDefARN+`"}`)
	checkJSON(t, stub.only("GetLogEvents").JSON, `{"logGroupName":"`+appLogGroup+`","logStreamName":"berth/web/first","startFromHead":false,"limit":20}`)
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
			c, stub := testCloud(t)
			stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
			stoppedTasks(stub, tc.task)
			stub.on("DescribeTaskDefinition", ok(taskDefinitionJSON))
			stub.on("GetLogEvents", ok(`{"events":[{"timestamp":1,"message":"GET /health 500"}]}`))
			r := rollout(t, c)
			f := r.Failure
			if r.State != cloud.RolloutFailed || f == nil || f.Type != cloud.FailureHealthCheckFailed || f.TaskID != "sick" || f.Container != "web" ||
				!reflect.DeepEqual(f.ExitCode, tc.exitCode) ||
				!reflect.DeepEqual(f.LogLines, []string{"GET /health 500"}) {
				t.Fatalf("rollout %+v, failure %+v", r, f)
			}
			checkJSON(t, stub.only("GetLogEvents").JSON["logStreamName"], `"berth/web/sick"`)
		})
	}
}

func TestRolloutTaskFailedToStart(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 0, 1)))
	stoppedTasks(stub, stoppedTask("unpulled", newTaskDefARN, "ecs-svc/2", "TaskFailedToStart",
		"CannotPullContainerError: pull image manifest has been retried 5 time(s)", 100,
		`{"name":"log-router","lastStatus":"STOPPED"},{"name":"web","lastStatus":"STOPPED","reason":"CannotPullContainerError: pull image manifest has been retried 5 time(s)"}`))
	stub.on("DescribeTaskDefinition", ok(taskDefinitionJSON))
	stub.on("GetLogEvents", awsErr("ResourceNotFoundException", "The specified log stream does not exist."))
	r := rollout(t, c)
	want := &cloud.TaskFailure{Type: cloud.FailureTaskFailedToStart, TaskID: "unpulled", Container: "web",
		StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)"}
	if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
		t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
	}
}

func TestRolloutCircuitBreaker(t *testing.T) {
	const reason = "ECS deployment circuit breaker: tasks failed to start."
	t.Run("no stopped task left", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(rolloutService("FAILED", reason, 0, 2)))
		stoppedTasks(stub)
		r := rollout(t, c)
		if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, &cloud.TaskFailure{Type: cloud.FailureCircuitBreaker, StoppedReason: reason}) {
			t.Fatalf("rollout %+v, failure %+v", r, r.Failure)
		}
	})
	t.Run("with the task that failed", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(rolloutService("FAILED", reason, 0, 2)))
		stoppedTasks(stub, stoppedTask("crash", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
			container("web", 3, "UNKNOWN", "")))
		stub.on("DescribeTaskDefinition", ok(taskDefinitionJSON))
		stub.on("GetLogEvents", ok(`{"events":[{"timestamp":1,"message":"panic: no config"}]}`))
		r := rollout(t, c)
		want := &cloud.TaskFailure{Type: cloud.FailureCircuitBreaker, TaskID: "crash", Container: "web", ExitCode: ptr(3),
			StoppedReason: reason + "; Essential container in task exited", LogLines: []string{"panic: no config"}}
		if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
			t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
		}
	})
}

// TestRolloutLogsUnreadable: the failure is reported without its lines
// when the logs cannot be read.
func TestRolloutLogsUnreadable(t *testing.T) {
	crash := stoppedTask("crash", newTaskDefARN, "ecs-svc/2", "EssentialContainerExited", "Essential container in task exited", 100,
		container("web", 1, "UNKNOWN", ""))
	for _, tc := range []struct {
		name          string
		taskDef, logs reply
		readLogs      bool
	}{
		{"access denied", ok(taskDefinitionJSON), awsErr("AccessDeniedException", "not authorized to perform: logs:GetLogEvents"), true},
		{"missing stream", ok(taskDefinitionJSON), awsErr("ResourceNotFoundException", "The specified log stream does not exist."), true},
		{"task definition unreadable", awsErr("AccessDeniedException", "not authorized to perform: ecs:DescribeTaskDefinition"), reply{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testCloud(t)
			stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
			stoppedTasks(stub, crash)
			stub.on("DescribeTaskDefinition", tc.taskDef)
			if tc.readLogs {
				stub.on("GetLogEvents", tc.logs)
			}
			r := rollout(t, c)
			want := &cloud.TaskFailure{Type: cloud.FailureContainerExited, TaskID: "crash", Container: "web", ExitCode: ptr(1),
				StoppedReason: "Essential container in task exited"}
			if r.State != cloud.RolloutFailed || !reflect.DeepEqual(r.Failure, want) {
				t.Fatalf("rollout %+v\nfailure %+v\nwant    %+v", r, r.Failure, want)
			}
			if got := len(stub.all("GetLogEvents")); got != map[bool]int{true: 1, false: 0}[tc.readLogs] {
				t.Errorf("%d log reads", got)
			}
		})
	}
}

func TestRolloutNotFound(t *testing.T) {
	for name, answer := range map[string]string{
		"missing service": `{"services":[],"failures":[{"arn":"` + serviceARN + `","reason":"MISSING"}]}`,
		"replaced":        strings.ReplaceAll(rolloutService("IN_PROGRESS", "", 0, 2), newTaskDefARN, "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:3"),
	} {
		c, stub := testCloud(t)
		stub.on("DescribeServices", ok(answer))
		if _, err := c.Rollout(context.Background(), serviceSpec.Name, newTaskDefARN); !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
		checkOps(t, stub, "DescribeServices")
	}
}

func TestRolloutListTasksRefused(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeServices", ok(rolloutService("IN_PROGRESS", "", 1, 2)))
	stub.on("ListTasks", awsErr("AccessDeniedException", "not authorized to perform: ecs:ListTasks"))
	if _, err := c.Rollout(context.Background(), serviceSpec.Name, newTaskDefARN); err == nil || !strings.Contains(err.Error(), "ecs ListTasks: AccessDeniedException") {
		t.Fatalf("error %v", err)
	}
}

func ptr(i int) *int { return &i }
