package awscloud

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/berth-dev/berth/shared/cloud"
)

// CreateLogGroup creates an environment's log group and sets its
// retention; RetentionDays 0 keeps the logs for ever.
func (c *Cloud) CreateLogGroup(ctx context.Context, spec cloud.LogGroupSpec) (cloud.Resource, error) {
	_, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(spec.Name), Tags: spec.Tags})
	if err != nil && code(err) != "ResourceAlreadyExistsException" {
		return cloud.Resource{}, fail(err)
	}
	// Set on every try: an earlier one may have stopped between the two calls.
	if spec.RetentionDays > 0 {
		_, err = c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(spec.Name), RetentionInDays: aws.Int32(int32(spec.RetentionDays)),
		})
		if err != nil {
			return cloud.Resource{}, fail(err)
		}
	}
	return cloud.Resource{Ref: cloud.Ref{Kind: cloud.KindLogGroup, Name: spec.Name, ID: spec.Name}, State: cloud.StateAvailable}, nil
}

func (c *Cloud) checkLogGroup(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(ref.Name)}
	for {
		out, err := c.Logs.DescribeLogGroups(ctx, in)
		if err != nil {
			return cloud.Resource{}, fail(err)
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
			return cloud.Resource{}, notFound("logs: no log group " + ref.Name)
		}
		in.NextToken = out.NextToken
	}
}

func (c *Cloud) deleteLogGroup(ctx context.Context, ref cloud.Ref) (bool, error) {
	_, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(ref.Name)})
	if err != nil && code(err) != "ResourceNotFoundException" {
		return false, fail(err)
	}
	return true, nil
}
