// Package awslogs reads an environment's container logs from CloudWatch
// Logs: the logs.Reader adapter for AWS. It links the CloudWatch Logs
// client and no other AWS client.
package awslogs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/berth-dev/berth/shared/logs"
)

var _ logs.Reader = (*Reader)(nil)

// Reader is logs.Reader on CloudWatch Logs. Build it with New, or set
// Client directly.
type Reader struct {
	Client *cloudwatchlogs.Client
}

// New builds the client from cfg, at endpoint when it is not "" (tests,
// local tools: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), else at AWS's.
func New(cfg aws.Config, endpoint string) logs.Reader {
	return &Reader{Client: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Filter implements logs.Reader: one FilterLogEvents call. Fields left
// at their zero value are not sent, so CloudWatch applies its defaults
// (all streams, all time, every event, its own page size).
func (r *Reader) Filter(ctx context.Context, f logs.Filter) (logs.Page, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(f.Group)}
	if f.StreamPrefix != "" {
		in.LogStreamNamePrefix = aws.String(f.StreamPrefix)
	}
	if !f.Start.IsZero() {
		in.StartTime = aws.Int64(f.Start.UnixMilli())
	}
	if !f.End.IsZero() {
		in.EndTime = aws.Int64(f.End.UnixMilli())
	}
	if f.Pattern != "" {
		in.FilterPattern = aws.String(f.Pattern)
	}
	if f.Limit > 0 {
		in.Limit = aws.Int32(int32(f.Limit))
	}
	if f.NextToken != "" {
		in.NextToken = aws.String(f.NextToken)
	}
	out, err := r.Client.FilterLogEvents(ctx, in)
	if err != nil {
		return logs.Page{}, classify(err)
	}
	page := logs.Page{Events: make([]logs.Event, 0, len(out.Events)), NextToken: aws.ToString(out.NextToken)}
	for _, e := range out.Events {
		page.Events = append(page.Events, logs.Event{
			ID:        aws.ToString(e.EventId),
			Timestamp: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(),
			Stream:    aws.ToString(e.LogStreamName),
			Message:   aws.ToString(e.Message),
		})
	}
	return page, nil
}

// classify maps CloudWatch's refusals onto the port's errors. It answers
// both bad patterns and bad tokens with InvalidParameterException, told
// apart only by the message.
func classify(err error) error {
	var (
		invalid *types.InvalidParameterException
		missing *types.ResourceNotFoundException
	)
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("%w: %s", logs.ErrNoGroup, missing.ErrorMessage())
	case errors.As(err, &invalid):
		msg := invalid.ErrorMessage()
		switch lower := strings.ToLower(msg); {
		case strings.Contains(lower, "token"):
			return fmt.Errorf("%w: %s", logs.ErrInvalidToken, msg)
		case strings.Contains(lower, "pattern"), strings.Contains(lower, "filter"), strings.Contains(lower, "term"):
			return fmt.Errorf("%w: %s", logs.ErrInvalidPattern, msg)
		}
	}
	return fmt.Errorf("cloudwatch logs FilterLogEvents: %w", err)
}
