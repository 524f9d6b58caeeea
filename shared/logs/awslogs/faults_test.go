package awslogs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/logs/awslogs"
)

// TestFaultsFilter: with 30 % of attempts faulting, the SDK's retryer
// carries a filter through to its page.
func TestFaultsFilter(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("FilterLogEvents", awstest.OK(`{"events":[{"eventId":"e1","timestamp":1767225600123,"logStreamName":"berth/web/abc","message":"hello"}],"nextToken":"next-1"}`))
		page, err := awslogs.New(cfg, s.URL).Filter(context.Background(), logs.Filter{Group: "/berth/app/env"})
		if err != nil {
			return err
		}
		if page.NextToken != "next-1" || len(page.Events) != 1 || page.Events[0].Message != "hello" {
			return fmt.Errorf("page %+v", page)
		}
		return nil
	})
}
