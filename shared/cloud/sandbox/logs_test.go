package sandbox_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/logs"
)

// logGroup creates the log group the tests' task definitions log to.
func logGroup(t *testing.T, s *sandbox.Sandbox, name string) {
	t.Helper()
	if _, err := s.CreateLogGroup(ctx, cloud.LogGroupSpec{Name: name}); err != nil {
		t.Fatal(err)
	}
}

func filter(t *testing.T, s *sandbox.Sandbox, f logs.Filter) logs.Page {
	t.Helper()
	page, err := s.Logs().Filter(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func messages(events []logs.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

func TestANewServicesTasksLogStartAndHealthCheckLines(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	logGroup(t, s, "/berth/svc")
	service(t, s, "nginx:1")
	if page := filter(t, s, logs.Filter{Group: "/berth/svc"}); len(page.Events) != 0 {
		t.Fatalf("before the tasks start: %q", messages(page.Events))
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	page := filter(t, s, logs.Filter{Group: "/berth/svc", Pattern: `"Starting container web"`})
	if len(page.Events) != 2 {
		t.Fatalf("start lines of the service's 2 tasks: %q", messages(page.Events))
	}
	streams := map[string]bool{}
	for _, e := range page.Events {
		if !strings.HasPrefix(e.Stream, logs.StreamPrefix+"/web/") || e.ID == "" || e.Timestamp.IsZero() || e.Timestamp.After(c.Now()) ||
			!strings.Contains(e.Message, "nginx:1") {
			t.Errorf("start line %+v", e)
		}
		streams[e.Stream] = true
	}
	if len(streams) != 2 {
		t.Errorf("streams %v, want one per task", streams)
	}
	tasks, err := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc")
	if err != nil || len(tasks) != 2 {
		t.Fatalf("running tasks %v %v", tasks, err)
	}
	for _, arn := range tasks {
		if id := arn[strings.LastIndex(arn, "/")+1:]; !streams[logs.StreamPrefix+"/web/"+id] {
			t.Errorf("task %s has no stream in %v", arn, streams)
		}
	}

	before := len(filter(t, s, logs.Filter{Group: "/berth/svc", Pattern: "health"}).Events)
	c.advance(5 * 30 * sandbox.Fast.Second)
	after := filter(t, s, logs.Filter{Group: "/berth/svc", Pattern: `"health check passed"`}).Events
	if len(after) != before+10 {
		t.Fatalf("health checks: %d, then %d after 5 intervals of 2 tasks", before, len(after))
	}
	for i := 1; i < len(after); i++ {
		if after[i].Timestamp.Before(after[i-1].Timestamp) {
			t.Fatalf("events out of order: %+v before %+v", after[i-1], after[i])
		}
	}

	// Scaled to zero, the tasks stop, and log no more.
	if err := s.Scale("svc", 0); err != nil {
		t.Fatal(err)
	}
	stopped := len(filter(t, s, logs.Filter{Group: "/berth/svc"}).Events)
	c.advance(time.Hour)
	if n := len(filter(t, s, logs.Filter{Group: "/berth/svc"}).Events); n != stopped {
		t.Errorf("%d events after the scale-in, %d an hour later", stopped, n)
	}
	if tasks, _ := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc"); len(tasks) != 0 {
		t.Errorf("running after a scale to zero: %v", tasks)
	}
}

// groupWithLines is a log group with a job's lines in it.
func groupWithLines(t *testing.T, lines ...string) (*sandbox.Sandbox, cloud.Task) {
	t.Helper()
	s, _ := newBox(sandbox.Instant)
	logGroup(t, s, "/berth/env")
	td := jobDefinition(t, s)
	script := ""
	for _, l := range lines {
		script += "echo '" + l + "'\n"
	}
	return s, runJob(t, s, td.ID, sh(script)...)
}

func TestFilterPatterns(t *testing.T) {
	s, _ := groupWithLines(t, "ERROR disk full", "WARN disk slow", "INFO all good", "ERROR timeout talking to db", "error lowercase")
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		{"", []string{"ERROR disk full", "WARN disk slow", "INFO all good", "ERROR timeout talking to db", "error lowercase"}},
		{"ERROR", []string{"ERROR disk full", "ERROR timeout talking to db"}},
		{"ERROR disk", []string{"ERROR disk full"}},
		{"disk -WARN", []string{"ERROR disk full"}},
		{"?WARN ?INFO", []string{"WARN disk slow", "INFO all good"}},
		{`"talking to"`, []string{"ERROR timeout talking to db"}},
		{`-"disk full" ERROR`, []string{"ERROR timeout talking to db"}},
		{"nothing", []string{}},
		{"  ERROR   full ", []string{"ERROR disk full"}},
	} {
		page := filter(t, s, logs.Filter{Group: "/berth/env", Pattern: c.pattern, StreamPrefix: logs.StreamPrefix + "/app/"})
		got := messages(page.Events)
		if c.pattern == "" { // the sandbox's start line is an event as well
			if len(got) == 0 || !strings.HasPrefix(got[0], "Starting container app") {
				t.Errorf("all events: %q", got)
				continue
			}
			got = got[1:]
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("pattern %q: %q, want %q", c.pattern, got, c.want)
		}
	}
}

func TestFilterRefusesWhatCloudWatchWould(t *testing.T) {
	s, _ := groupWithLines(t, "a")
	for _, c := range []struct {
		name string
		f    logs.Filter
		want error
	}{
		{"unbalanced quotes", logs.Filter{Group: "/berth/env", Pattern: `"open`}, logs.ErrInvalidPattern},
		{"quote inside a term", logs.Filter{Group: "/berth/env", Pattern: `ab"c`}, logs.ErrInvalidPattern},
		{"JSON pattern", logs.Filter{Group: "/berth/env", Pattern: `{ $.level = "error" }`}, logs.ErrInvalidPattern},
		{"space-delimited pattern", logs.Filter{Group: "/berth/env", Pattern: `[ip, user]`}, logs.ErrInvalidPattern},
		{"a lone -", logs.Filter{Group: "/berth/env", Pattern: `a -`}, logs.ErrInvalidPattern},
		{"garbage token", logs.Filter{Group: "/berth/env", NextToken: "not-a-token"}, logs.ErrInvalidToken},
		{"no such group", logs.Filter{Group: "/berth/nope"}, logs.ErrNoGroup},
		{"limit too big", logs.Filter{Group: "/berth/env", Limit: 10001}, cloud.ErrInvalid},
	} {
		_, err := s.Logs().Filter(ctx, c.f)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := s.Logs().Filter(ctx, logs.Filter{Group: "/berth/env", Pattern: "{ $.a = 1 }"}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("a JSON pattern's error should say it is not supported: %v", err)
	}
}

func TestFilterPagesCoverEveryEventOnceAndTokensStayInTheirGroup(t *testing.T) {
	var lines []string
	for i := range 23 {
		lines = append(lines, "line "+string(rune('a'+i)))
	}
	s, _ := groupWithLines(t, lines...)
	all := filter(t, s, logs.Filter{Group: "/berth/env"})
	if len(all.Events) != 24 || all.NextToken != "" {
		t.Fatalf("everything at once: %d events, token %q", len(all.Events), all.NextToken)
	}
	for _, limit := range []int{1, 5, 7, 24, 100} {
		seen := map[string]int{}
		var got []string
		f := logs.Filter{Group: "/berth/env", Limit: limit}
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatalf("limit %d: too many pages", limit)
			}
			page := filter(t, s, f)
			if len(page.Events) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(page.Events))
			}
			for _, e := range page.Events {
				seen[e.ID]++
				got = append(got, e.Message)
			}
			if page.NextToken == "" {
				break
			}
			f.NextToken = page.NextToken
		}
		if len(seen) != 24 || strings.Join(got, "|") != strings.Join(messages(all.Events), "|") {
			t.Errorf("limit %d: %d distinct of %d events: %q", limit, len(seen), len(got), got)
		}
	}
	token := filter(t, s, logs.Filter{Group: "/berth/env", Limit: 3}).NextToken
	logGroup(t, s, "/berth/other")
	if _, err := s.Logs().Filter(ctx, logs.Filter{Group: "/berth/other", NextToken: token}); !errors.Is(err, logs.ErrInvalidToken) {
		t.Errorf("another group's token: %v", err)
	}
	again := filter(t, s, logs.Filter{Group: "/berth/env", Limit: 3})
	if again.NextToken != token {
		t.Errorf("the same call gave token %q, then %q", token, again.NextToken)
	}
}

func TestFilterTimeBoundsAreInclusiveMilliseconds(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	logGroup(t, s, "/berth/env")
	td := jobDefinition(t, s)
	task := runJob(t, s, td.ID, sh("echo one; sleep 10; echo two; sleep 10; echo three")...)
	c.advance(time.Minute)
	events := filter(t, s, logs.Filter{Group: "/berth/env", Pattern: "-Starting"}).Events
	if len(events) != 3 {
		t.Fatalf("events %q", messages(events))
	}
	for _, e := range events {
		if e.Stream != task.LogStream {
			t.Errorf("stream %s, want %s", e.Stream, task.LogStream)
		}
	}
	two := events[1].Timestamp
	got := filter(t, s, logs.Filter{Group: "/berth/env", Pattern: "-Starting", Start: two, End: two})
	if strings.Join(messages(got.Events), "|") != "two" {
		t.Errorf("[two, two]: %q", messages(got.Events))
	}
	got = filter(t, s, logs.Filter{Group: "/berth/env", Pattern: "-Starting", Start: two.Add(time.Millisecond)})
	if strings.Join(messages(got.Events), "|") != "three" {
		t.Errorf("after two: %q", messages(got.Events))
	}
	// LogLines still answers just the program's output.
	if lines := output(t, s, task); strings.Join(lines, "|") != "one|two|three" {
		t.Errorf("LogLines %q", lines)
	}
}

func TestFilterFaultAndDeletedGroup(t *testing.T) {
	s, _ := groupWithLines(t, "a")
	boom := errors.New("boom")
	s.Fault("FilterLogEvents", boom)
	if _, err := s.Logs().Filter(ctx, logs.Filter{Group: "/berth/env"}); !errors.Is(err, boom) {
		t.Errorf("fault: %v", err)
	}
	s.ClearFaults()
	if _, err := s.Delete(ctx, cloud.Ref{Kind: cloud.KindLogGroup, Name: "/berth/env"}, cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Logs().Filter(ctx, logs.Filter{Group: "/berth/env"}); !errors.Is(err, logs.ErrNoGroup) {
		t.Errorf("a deleted group: %v", err)
	}
	if n := s.LogGroups()["/berth/env"]; n != 0 {
		t.Errorf("a deleted group keeps %d events", n)
	}
}

func TestALogGroupKeepsItsNewestEvents(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	logGroup(t, s, "/berth/svc")
	service(t, s, "nginx:1")
	if err := s.Scale("svc", 8); err != nil {
		t.Fatal(err)
	}
	c.advance(sandbox.Fast.Create[cloud.KindService] + 20000*30*sandbox.Fast.Second)
	if n := s.LogGroups()["/berth/svc"]; n != sandbox.MaxLogEvents {
		t.Fatalf("%d events kept, want %d", n, sandbox.MaxLogEvents)
	}
	events := filter(t, s, logs.Filter{Group: "/berth/svc"}).Events
	if last := events[len(events)-1].Timestamp; c.Now().Sub(last) > 30*sandbox.Fast.Second {
		t.Errorf("the newest event is from %s, now is %s", last, c.Now())
	}
}
