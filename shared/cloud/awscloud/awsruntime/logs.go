package awsruntime

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// CreateLogGroup creates an environment's log group and sets its
// retention; RetentionDays 0 keeps the logs for ever.
func (c *Part) CreateLogGroup(ctx context.Context, spec cloud.LogGroupSpec) (cloud.Resource, error) {
	_, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(spec.Name), Tags: spec.Tags})
	if err != nil && awscloud.Code(err) != "ResourceAlreadyExistsException" {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	// Set on every try: an earlier one may have stopped between the two calls.
	if spec.RetentionDays > 0 {
		_, err = c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(spec.Name), RetentionInDays: aws.Int32(int32(spec.RetentionDays)),
		})
		if err != nil {
			return cloud.Resource{}, awscloud.Fail(err)
		}
	}
	return cloud.Resource{Ref: cloud.Ref{Kind: cloud.KindLogGroup, Name: spec.Name, ID: spec.Name}, State: cloud.StateAvailable}, nil
}

func (c *Part) checkLogGroup(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(ref.Name)}
	for {
		out, err := c.Logs.DescribeLogGroups(ctx, in)
		if err != nil {
			return cloud.Resource{}, awscloud.Fail(err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == ref.Name {
				return cloud.Resource{
					Ref:     cloud.Ref{Kind: cloud.KindLogGroup, Name: ref.Name, ID: ref.Name},
					State:   cloud.StateAvailable,
					Outputs: map[string]string{cloud.OutARN: aws.ToString(g.LogGroupArn)},
				}, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return cloud.Resource{}, awscloud.NotFound("logs: no log group " + ref.Name)
		}
		in.NextToken = out.NextToken
	}
}

func (c *Part) deleteLogGroup(ctx context.Context, ref cloud.Ref) (bool, error) {
	_, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(ref.Name)})
	if err != nil && awscloud.Code(err) != "ResourceNotFoundException" {
		return false, awscloud.Fail(err)
	}
	return true, nil
}

// LogLines implements cloud.Cloud: the stream's last lines, oldest first.
func (c *Part) LogLines(ctx context.Context, group, stream string, limit int) ([]string, error) {
	out, err := c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(false),
		Limit:         aws.Int32(int32(min(max(limit, 1), 10000))), // GetLogEvents' bounds
	})
	if err != nil {
		return nil, awscloud.Fail(err)
	}
	events := out.Events
	sort.SliceStable(events, func(i, j int) bool { return aws.ToInt64(events[i].Timestamp) < aws.ToInt64(events[j].Timestamp) })
	if len(events) > limit {
		events = events[len(events)-max(limit, 0):]
	}
	lines := make([]string, 0, len(events))
	for _, e := range events {
		lines = append(lines, aws.ToString(e.Message))
	}
	return lines, nil
}
