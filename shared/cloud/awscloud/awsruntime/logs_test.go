package awsruntime

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

var logGroupSpec = cloud.LogGroupSpec{Name: "/berth/acme/my-app/production-0123456789", RetentionDays: 30, Tags: awstest.Tags}

func TestCreateLogGroupRequests(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateLogGroup", awstest.OK(""))
	stub.On("PutRetentionPolicy", awstest.OK(""))
	r, err := c.CreateLogGroup(context.Background(), logGroupSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stub.Ops(), []string{"CreateLogGroup", "PutRetentionPolicy"}) {
		t.Fatalf("calls %v", stub.Ops())
	}
	awstest.CheckJSON(t, stub.Only("CreateLogGroup").JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789","tags":{"berth:application":"my-app","berth:managed":"true"}}`)
	awstest.CheckJSON(t, stub.Only("PutRetentionPolicy").JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789","retentionInDays":30}`)
	if r.State != cloud.StateAvailable || r.ID != logGroupSpec.Name {
		t.Errorf("resource %+v", r)
	}
}

// TestCreateLogGroupThatExistsStillSetsRetention: an earlier try may
// have stopped between the two calls.
func TestCreateLogGroupThatExistsStillSetsRetention(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateLogGroup", awstest.AWSErr("ResourceAlreadyExistsException", "The specified log group already exists"))
	stub.On("PutRetentionPolicy", awstest.OK(""))
	r, err := c.CreateLogGroup(context.Background(), logGroupSpec)
	if err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("resource %+v, error %v", r, err)
	}
	stub.Only("PutRetentionPolicy")
}

func TestLogGroupRetentionRefused(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateLogGroup", awstest.OK(""))
	stub.On("PutRetentionPolicy", awstest.AWSErr("InvalidParameterException", "1 validation error detected: Value '31' at 'retentionInDays' failed to satisfy constraint"))
	spec := logGroupSpec
	spec.RetentionDays = 31
	_, err := c.CreateLogGroup(context.Background(), spec)
	if !errors.Is(err, cloud.ErrInvalid) || err.Error() != "logs PutRetentionPolicy: InvalidParameterException: 1 validation error detected: Value '31' at 'retentionInDays' failed to satisfy constraint" {
		t.Fatalf("error %v", err)
	}
}

func TestLogGroupCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindLogGroup, Name: logGroupSpec.Name, ID: logGroupSpec.Name}
	c, stub := testPart(t)
	// A prefix also matches longer names; only the exact one counts.
	stub.On("DescribeLogGroups",
		awstest.OK(`{"logGroups":[{"logGroupName":"/berth/acme/my-app/production-0123456789","logGroupArn":"arn:aws:logs:eu-west-1:123456789012:log-group:/berth/acme/my-app/production-0123456789"}]}`),
		awstest.OK(`{"logGroups":[{"logGroupName":"/berth/acme/my-app/production-0123456789-old"}]}`))
	stub.On("DeleteLogGroup", awstest.OK(""), awstest.AWSErr("ResourceNotFoundException", "The specified log group does not exist."))
	r, err := c.Check(context.Background(), ref)
	if err != nil || r.State != cloud.StateAvailable || r.Outputs[cloud.OutARN] == "" {
		t.Fatalf("check %+v, %v", r, err)
	}
	awstest.CheckJSON(t, stub.All("DescribeLogGroups")[0].JSON, `{"logGroupNamePrefix":"/berth/acme/my-app/production-0123456789"}`)
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing log group: %v", err)
	}
	for i := 0; i < 2; i++ {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	awstest.CheckJSON(t, stub.All("DeleteLogGroup")[0].JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789"}`)
}

const (
	appLogGroup = "/berth/acme/my-app/production-0123456789"
	// failedStream is where a failed container of a rollout logged.
	failedStream = "berth/web/0123456789abcdef"
)

// logEvents answers GetLogEvents with lines first to last, stamped in
// that order, listed in the order given by at.
func logEvents(lines []string, at func(i int) int) string {
	var events []string
	for i := range lines {
		j := at(i)
		events = append(events, `{"timestamp":`+strconv.Itoa(1700000000000+j)+`,"message":"`+lines[j]+`","ingestionTime":`+strconv.Itoa(1700000000005+j)+`}`)
	}
	return `{"events":[` + strings.Join(events, ",") + `],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}`
}

func numbered(n int) []string {
	var lines []string
	for i := 1; i <= n; i++ {
		lines = append(lines, "line "+strconv.Itoa(i))
	}
	return lines
}

// TestLogLinesRequest: the stream's last lines, newest page first from
// CloudWatch Logs, at most cloud.MaxFailureLogLines.
func TestLogLinesRequest(t *testing.T) {
	c, stub := testPart(t)
	lines := numbered(cloud.MaxFailureLogLines)
	stub.On("GetLogEvents", awstest.OK(logEvents(lines, func(i int) int { return i })))
	got, err := c.LogLines(context.Background(), appLogGroup, failedStream, cloud.MaxFailureLogLines)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("GetLogEvents").JSON, `{"logGroupName":"`+appLogGroup+`","logStreamName":"`+failedStream+`","startFromHead":false,"limit":20}`)
	if !reflect.DeepEqual(got, lines) {
		t.Errorf("lines %q\nwant  %q", got, lines)
	}
}

// TestLogLinesOldestFirst: whatever order the events come in, the lines
// are oldest first, and only the last MaxFailureLogLines are kept.
func TestLogLinesOldestFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		at   func(i int) int
	}{
		{"newest first", 5, func(i int) int { return 4 - i }},
		{"shuffled", 4, func(i int) int { return []int{2, 0, 3, 1}[i] }},
		{"more than the limit", cloud.MaxFailureLogLines + 5, func(i int) int { return cloud.MaxFailureLogLines + 4 - i }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			lines := numbered(tc.n)
			stub.On("GetLogEvents", awstest.OK(logEvents(lines, tc.at)))
			got, err := c.LogLines(context.Background(), appLogGroup, failedStream, cloud.MaxFailureLogLines)
			if err != nil {
				t.Fatal(err)
			}
			want := lines
			if len(want) > cloud.MaxFailureLogLines {
				want = want[len(want)-cloud.MaxFailureLogLines:]
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("lines %q\nwant  %q", got, want)
			}
		})
	}
}

func TestLogLinesOfAnEmptyStream(t *testing.T) {
	c, stub := testPart(t)
	stub.On("GetLogEvents", awstest.OK(`{"events":[]}`))
	if got, err := c.LogLines(context.Background(), appLogGroup, failedStream, cloud.MaxFailureLogLines); err != nil || len(got) != 0 {
		t.Errorf("lines %q, error %v", got, err)
	}
}

// TestLogLinesErrors: the port's kinds, in the user's words.
func TestLogLinesErrors(t *testing.T) {
	for _, tc := range []struct {
		code, msg string
		kind      error
	}{
		{"ResourceNotFoundException", "The specified log stream does not exist.", cloud.ErrNotFound},
		{"AccessDeniedException", "not authorized to perform: logs:GetLogEvents", nil},
	} {
		c, stub := testPart(t)
		stub.On("GetLogEvents", awstest.AWSErr(tc.code, tc.msg))
		lines, err := c.LogLines(context.Background(), appLogGroup, failedStream, cloud.MaxFailureLogLines)
		if err == nil || lines != nil || err.Error() != "logs GetLogEvents: "+tc.code+": "+tc.msg {
			t.Fatalf("%s: lines %q, error %v", tc.code, lines, err)
		}
		for _, kind := range []error{cloud.ErrNotFound, cloud.ErrInvalid, cloud.ErrQuota, cloud.ErrConflict} {
			if errors.Is(err, kind) != (kind == tc.kind) {
				t.Errorf("%s: error %v is %v: %v", tc.code, err, kind, errors.Is(err, kind))
			}
		}
	}
}
