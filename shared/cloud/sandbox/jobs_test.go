package sandbox_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/compose"
)

// jobDefinition registers a task definition whose "app" container has FOO=bar.
func jobDefinition(t *testing.T, s *sandbox.Sandbox) cloud.Resource {
	t.Helper()
	bar := "bar"
	td, err := s.RegisterTaskDefinition(ctx, cloud.TaskSpec{Family: "jobs", Tags: tags, LogGroup: "/berth/env", Compose: compose.Definition{Containers: []compose.Container{
		{Name: "app", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "php:8"},
			Environment: []compose.EnvVar{{Name: "FOO", Value: &bar}}},
		{Name: "sidecar", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx:1"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return td
}

var tokens int

func runJob(t *testing.T, s *sandbox.Sandbox, td string, command ...string) cloud.Task {
	t.Helper()
	tokens++
	task, err := s.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: td, Container: "app", Command: command, ClientToken: fmt.Sprint("token-", tokens)})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func describe(t *testing.T, s *sandbox.Sandbox, arn string) cloud.Task {
	t.Helper()
	task, err := s.DescribeTask(ctx, arn, "app")
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func output(t *testing.T, s *sandbox.Sandbox, task cloud.Task) []string {
	t.Helper()
	lines, err := s.LogLines(ctx, task.LogGroup, task.LogStream, cloud.MaxOutputLines)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func sh(script string) []string { return []string{"sh", "-c", script} }

func TestJobCommandsPrintAndExitAsAShellWould(t *testing.T) {
	for _, c := range []struct {
		command []string
		lines   []string
		exit    int
	}{
		{sh("echo hello"), []string{"hello"}, 0},
		{sh("exit 3"), []string{}, 3},
		{sh("echo a; echo b && exit 4; echo c"), []string{"a", "b"}, 4},
		{sh("echo a\necho 'b;c' \"d  e\"x"), []string{"a", "b;c d  ex"}, 0},
		{sh("printenv FOO"), []string{"bar"}, 0},
		{sh("printenv NOPE"), []string{}, 1},
		{sh("printenv NOPE && echo set; echo after"), []string{"after"}, 0},
		{sh("false || echo rescued"), []string{"rescued"}, 0},
		{sh("php artisan migrate --force  'x y'"), []string{"sandbox: ran php artisan migrate --force  'x y'"}, 0},
		{sh("exit nope"), []string{"sh: exit: Illegal number: nope"}, 2},
		{sh("exit 300"), []string{}, 44},
		{sh("echo 'open"), []string{"sh: 1: Syntax error: Unterminated quoted string"}, 2},
		{[]string{"echo", "hello world"}, []string{"hello world"}, 0},
		{[]string{"php", "artisan", "queue:work"}, []string{"sandbox: ran php artisan queue:work"}, 0},
		{[]string{"printenv", "FOO"}, []string{"bar"}, 0},
	} {
		s, _ := newBox(sandbox.Instant)
		td := jobDefinition(t, s)
		task := runJob(t, s, td.ID, c.command...)
		got := describe(t, s, task.ARN)
		if got.Status != cloud.TaskStopped || got.ExitCode == nil || *got.ExitCode != c.exit || got.StopCode != "EssentialContainerExited" {
			t.Errorf("%q: %+v, exit %v, want STOPPED with %d", c.command, got, deref(got.ExitCode), c.exit)
		}
		if lines := output(t, s, got); !reflect.DeepEqual(lines, c.lines) {
			t.Errorf("%q printed %q, want %q", c.command, lines, c.lines)
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestRunTaskIsIdempotentAndRefusesWhatECSWould(t *testing.T) {
	s, _ := newBox(sandbox.Fast)
	td := jobDefinition(t, s)
	run := cloud.TaskRun{TaskDefinitionARN: td.ID, Container: "app", Command: sh("echo hi"), ClientToken: "run-1"}
	a, err := s.RunTask(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^arn:aws:ecs:sandbox:000000000000:task/berth-sandbox/[0-9a-f]{32}$`).MatchString(a.ARN) {
		t.Errorf("task ARN %s", a.ARN)
	}
	if a.LogGroup != "/berth/env" || a.LogStream != "berth/app/"+a.ARN[strings.LastIndex(a.ARN, "/")+1:] || a.Expected != time.Second {
		t.Errorf("task %+v", a)
	}
	b, err := s.RunTask(ctx, run)
	if err != nil || b.ARN != a.ARN || len(s.Tasks()) != 1 {
		t.Fatalf("retried RunTask: %s, %v, %d tasks", b.ARN, err, len(s.Tasks()))
	}
	for name, r := range map[string]cloud.TaskRun{
		"unknown task definition": {TaskDefinitionARN: "arn:nope", Container: "app", Command: sh("true"), ClientToken: "x1"},
		"unknown container":       {TaskDefinitionARN: td.ID, Container: "worker", Command: sh("true"), ClientToken: "x2"},
		"no command":              {TaskDefinitionARN: td.ID, Container: "app", ClientToken: "x3"},
		"no client token":         {TaskDefinitionARN: td.ID, Container: "app", Command: sh("true")},
		"long client token":       {TaskDefinitionARN: td.ID, Container: "app", Command: sh("true"), ClientToken: strings.Repeat("x", 65)},
	} {
		if _, err := s.RunTask(ctx, r); !errors.Is(err, cloud.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := len(s.Tasks()); n != 1 {
		t.Fatalf("refused runs started tasks: %d", n)
	}
	if _, err := s.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: td.ID, Container: "app", Command: sh("true"), ClientToken: strings.Repeat("x", 64)}); err != nil {
		t.Fatalf("a 64-character token: %v", err)
	}
}

// TestAJobGoesThroughItsStatusesOnTheSandboxClock: Fast starts a task in
// 1 s (half its service time) and a sandbox second lasts 1/30 s.
func TestAJobGoesThroughItsStatusesOnTheSandboxClock(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	td := jobDefinition(t, s)
	t0 := c.now
	task := runJob(t, s, td.ID, sh("echo start; sleep 30; echo middle; sleep 30; echo done; exit 5")...)
	if task.Status != cloud.TaskProvisioning || !task.StartedAt.IsZero() {
		t.Fatalf("just run: %+v", task)
	}
	if _, err := s.LogLines(ctx, task.LogGroup, task.LogStream, 10); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("the stream of a task not started yet: %v", err)
	}
	c.advance(500 * time.Millisecond)
	if got := describe(t, s, task.ARN); got.Status != cloud.TaskPending {
		t.Fatalf("after 500 ms: %s", got.Status)
	}
	c.advance(500 * time.Millisecond)
	got := describe(t, s, task.ARN)
	if got.Status != cloud.TaskRunning || !got.StartedAt.Equal(t0.Add(time.Second)) || got.ExitCode != nil {
		t.Fatalf("after 1 s: %+v", got)
	}
	if lines := output(t, s, got); !reflect.DeepEqual(lines, []string{"start"}) {
		t.Fatalf("lines at the start: %q", lines)
	}
	c.advance(time.Second) // sleep 30 is 1 s of sandbox clock
	if lines := output(t, s, got); !reflect.DeepEqual(lines, []string{"start", "middle"}) {
		t.Fatalf("lines after one sleep: %q", lines)
	}
	if got := describe(t, s, task.ARN); got.Status != cloud.TaskRunning {
		t.Fatalf("during the second sleep: %s", got.Status)
	}
	c.advance(time.Second)
	got = describe(t, s, task.ARN)
	if got.Status != cloud.TaskStopped || deref(got.ExitCode) != 5 || got.StoppedReason != "Essential container in task exited" ||
		got.StoppedAt.Sub(t0) < 2900*time.Millisecond || got.StoppedAt.After(c.now) {
		t.Fatalf("after both sleeps: %+v, exit %v", got, deref(got.ExitCode))
	}
	if lines, _ := s.LogLines(ctx, got.LogGroup, got.LogStream, 2); !reflect.DeepEqual(lines, []string{"middle", "done"}) {
		t.Fatalf("the last 2 lines: %q", lines)
	}
	if other, _ := s.DescribeTask(ctx, task.ARN, "sidecar"); other.ExitCode != nil {
		t.Fatalf("another container's exit code: %v", deref(other.ExitCode))
	}
	if tasks := s.Tasks(); len(tasks) != 1 || tasks[0].ARN != task.ARN || tasks[0].Status != cloud.TaskStopped || deref(tasks[0].ExitCode) != 5 {
		t.Fatalf("Tasks: %+v", tasks)
	}
}

func TestStopTask(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	td := jobDefinition(t, s)
	task := runJob(t, s, td.ID, sh("echo begun; sleep 600; echo never")...)
	c.advance(5 * time.Second)
	if got := describe(t, s, task.ARN); got.Status != cloud.TaskRunning {
		t.Fatalf("sleep 600 after 5 s: %s", got.Status)
	}
	stopped := c.now
	if err := s.StopTask(ctx, task.ARN, "stopped by alice"); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute) // past when sleep 600 would have ended
	if err := s.StopTask(ctx, task.ARN, "again"); err != nil {
		t.Fatalf("stopping a stopped task: %v", err)
	}
	got := describe(t, s, task.ARN)
	if got.Status != cloud.TaskStopped || got.StopCode != "UserInitiated" || got.StoppedReason != "stopped by alice" ||
		deref(got.ExitCode) != 137 || !got.StoppedAt.Equal(stopped) {
		t.Fatalf("stopped: %+v, exit %v", got, deref(got.ExitCode))
	}
	if lines := output(t, s, got); !reflect.DeepEqual(lines, []string{"begun"}) {
		t.Fatalf("lines of a stopped task: %q", lines)
	}

	early := runJob(t, s, td.ID, sh("echo never")...)
	if err := s.StopTask(ctx, early.ARN, "cancelled"); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	if got := describe(t, s, early.ARN); got.Status != cloud.TaskStopped || got.ExitCode != nil || !got.StartedAt.IsZero() || got.StopCode != "UserInitiated" {
		t.Fatalf("a task stopped before it started: %+v, exit %v", got, deref(got.ExitCode))
	}
	if _, err := s.LogLines(ctx, early.LogGroup, early.LogStream, 10); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("the stream of a task that never started: %v", err)
	}

	done := runJob(t, s, td.ID, sh("exit 0")...)
	c.advance(time.Minute)
	if err := s.StopTask(ctx, done.ARN, "late"); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, s, done.ARN); got.StopCode != "EssentialContainerExited" || deref(got.ExitCode) != 0 {
		t.Fatalf("a finished task stopped late: %+v", got)
	}

	missing := "arn:aws:ecs:sandbox:000000000000:task/berth-sandbox/00000000000000000000000000000000"
	if err := s.StopTask(ctx, missing, "x"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("StopTask of an unknown task: %v", err)
	}
	if _, err := s.DescribeTask(ctx, missing, "app"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("DescribeTask of an unknown task: %v", err)
	}
}

func TestJobFaults(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	td := jobDefinition(t, s)
	task := runJob(t, s, td.ID, sh("echo hi")...)
	boom := errors.New("ThrottlingException")
	for _, op := range []string{"RunTask", "DescribeTask", "StopTask", "LogLines"} {
		s.Fault(op, boom)
	}
	if _, err := s.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: td.ID, Container: "app", Command: sh("true"), ClientToken: "f"}); !errors.Is(err, boom) {
		t.Errorf("RunTask: %v", err)
	}
	if _, err := s.DescribeTask(ctx, task.ARN, "app"); !errors.Is(err, boom) {
		t.Errorf("DescribeTask: %v", err)
	}
	if err := s.StopTask(ctx, task.ARN, "x"); !errors.Is(err, boom) {
		t.Errorf("StopTask: %v", err)
	}
	if _, err := s.LogLines(ctx, task.LogGroup, task.LogStream, 5); !errors.Is(err, boom) {
		t.Errorf("LogLines: %v", err)
	}
	if n := len(s.Tasks()); n != 1 {
		t.Errorf("a faulted RunTask started a task: %d tasks", n)
	}
	s.ClearFaults()
	if lines := output(t, s, describe(t, s, task.ARN)); !reflect.DeepEqual(lines, []string{"hi"}) {
		t.Errorf("after clearing: %q", lines)
	}
}
