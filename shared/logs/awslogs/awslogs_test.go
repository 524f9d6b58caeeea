package awslogs_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/logs/awslogs"
)

func TestFilterSendsEveryFieldAndMapsEvents(t *testing.T) {
	s := awstest.New(t)
	s.On("FilterLogEvents", awstest.OK(`{"events":[
		{"eventId":"e1","timestamp":1767225600123,"logStreamName":"berth/web/abc","message":"hello","ingestionTime":1767225600200},
		{"eventId":"e2","timestamp":1767225601000,"logStreamName":"berth/web/abc","message":"world"}],
		"nextToken":"next-1","searchedLogStreams":[]}`))
	r := awslogs.New(s.Config(), s.URL)
	page, err := r.Filter(context.Background(), logs.Filter{
		Group: "/berth/app/env", StreamPrefix: "berth/web/",
		Start: time.Date(2026, 1, 1, 0, 0, 0, 5_000_000, time.UTC), End: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC),
		Pattern: `"ERROR"`, Limit: 250, NextToken: "tok-0",
	})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, s.Only("FilterLogEvents").JSON, `{
		"logGroupName":"/berth/app/env","logStreamNamePrefix":"berth/web/",
		"startTime":1767225600005,"endTime":1767229200000,
		"filterPattern":"\"ERROR\"","limit":250,"nextToken":"tok-0"}`)
	want := logs.Page{NextToken: "next-1", Events: []logs.Event{
		{ID: "e1", Timestamp: time.UnixMilli(1767225600123).UTC(), Stream: "berth/web/abc", Message: "hello"},
		{ID: "e2", Timestamp: time.UnixMilli(1767225601000).UTC(), Stream: "berth/web/abc", Message: "world"},
	}}
	if !reflect.DeepEqual(page, want) {
		t.Errorf("page = %+v\nwant %+v", page, want)
	}
}

func TestFilterLeavesZeroFieldsOut(t *testing.T) {
	s := awstest.New(t)
	s.On("FilterLogEvents", awstest.OK(`{"events":[]}`))
	page, err := awslogs.New(s.Config(), s.URL).Filter(context.Background(), logs.Filter{Group: "/berth/app/env"})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, s.Only("FilterLogEvents").JSON, `{"logGroupName":"/berth/app/env"}`)
	if page.NextToken != "" || len(page.Events) != 0 || page.Events == nil {
		t.Errorf("page = %#v, want no events (a non-nil slice) and no token", page)
	}
}

func TestFilterErrors(t *testing.T) {
	for _, c := range []struct {
		name      string
		code, msg string
		want      error
	}{
		{"bad pattern", "InvalidParameterException", "Invalid filter pattern", logs.ErrInvalidPattern},
		{"bad term", "InvalidParameterException", "Invalid character(s) in term '{'", logs.ErrInvalidPattern},
		{"bad token", "InvalidParameterException", "The specified nextToken is invalid.", logs.ErrInvalidToken},
		{"no group", "ResourceNotFoundException", "The specified log group does not exist.", logs.ErrNoGroup},
		{"other", "ServiceUnavailableException", "try later", nil},
		{"other invalid", "InvalidParameterException", "1 validation error detected: limit", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := awstest.New(t)
			s.On("FilterLogEvents", awstest.AWSErr(c.code, c.msg))
			_, err := awslogs.New(s.Config(), s.URL).Filter(context.Background(), logs.Filter{Group: "g", Pattern: "{", NextToken: "t"})
			if err == nil {
				t.Fatal("no error")
			}
			for _, e := range []error{logs.ErrInvalidPattern, logs.ErrInvalidToken, logs.ErrNoGroup} {
				if errors.Is(err, e) != (e == c.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, e, !(e == c.want))
				}
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%v does not carry CloudWatch's message %q", err, c.msg)
			}
		})
	}
}
