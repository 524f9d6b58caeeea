package provision

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

func TestWaitsStartNearTheUsualTimeThenGrow(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	s := &Steps{Now: func() time.Time { return now }}
	first := s.firstLoop(GroupDatabase, 5*time.Minute, false)
	if first.WaitSeconds != 300 || !first.Deadline.Equal(now.Add(time.Hour)) {
		t.Fatalf("first wait %d s, deadline %s", first.WaitSeconds, first.Deadline)
	}
	var waits []int
	loop := first
	for range 5 {
		next, err := s.nextLoop(GroupDatabase, &loop, false, "database")
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, next.WaitSeconds)
		loop = next
	}
	// After the usual time a fifth of it, then half as much again each round.
	want := []int{60, 90, 135, 202, 300}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestLoopsEndInATimeoutPastTheirDeadline(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	s := &Steps{Now: func() time.Time { return now }}
	loop := s.firstLoop(GroupService, 2*time.Minute, false)
	now = now.Add(31 * time.Minute)
	_, err := s.nextLoop(GroupService, &loop, false, "service berth-x")
	var named messages.InvokeResponse_Error
	if !errors.As(err, &named) || named.Type != ErrTimeout {
		t.Fatalf("past the deadline: %v, want %s", err, ErrTimeout)
	}
	if next, err := s.nextLoop(GroupService, &loop, true, "service berth-x"); err != nil || !next.Ready {
		t.Fatalf("ready past the deadline still counts: %+v, %v", next, err)
	}
}

func TestReasonReadsTheStepsMessage(t *testing.T) {
	got := reason(&Caught{Error: "Berth.CloudError", Cause: `{"errorMessage":"create database: rds CreateDBInstance: StorageQuotaExceeded: no","errorType":"Berth.CloudError"}`})
	if got != "Berth.CloudError: create database: rds CreateDBInstance: StorageQuotaExceeded: no" {
		t.Fatalf("reason %q", got)
	}
	if got := reason(&Caught{Error: "States.Timeout", Cause: ""}); got != "States.Timeout" {
		t.Fatalf("reason %q", got)
	}
}
