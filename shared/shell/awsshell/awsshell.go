// Package awsshell is shell access on AWS: STS issues the credentials
// (AssumeRole narrowed by a session policy) and ECS lists the tasks they
// may exec into. It is the shell.Access adapter for AWS, and links the
// STS and ECS clients and no other AWS client.
package awsshell

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/shell"
)

// MaxTasks is the most task ARNs RunningTasks answers: one ListTasks
// page, more than a service Berth runs ever has.
const MaxTasks = 100

var _ shell.Access = (*Access)(nil)

// Access is shell.Access on STS and ECS. Build it with New, or set the
// clients directly.
type Access struct {
	STS *sts.Client
	ECS *ecs.Client
}

// New builds the clients from cfg, each at its endpoint when that is not
// "" (tests, local tools: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_ECS),
// else at AWS's.
func New(cfg aws.Config, stsEndpoint, ecsEndpoint string) shell.Access {
	return &Access{
		STS: sts.NewFromConfig(cfg, func(o *sts.Options) {
			if stsEndpoint != "" {
				o.BaseEndpoint = aws.String(stsEndpoint)
			}
		}),
		ECS: ecs.NewFromConfig(cfg, func(o *ecs.Options) {
			if ecsEndpoint != "" {
				o.BaseEndpoint = aws.String(ecsEndpoint)
			}
		}),
	}
}

// Assume implements shell.Access with one AssumeRole call. A zero
// Duration leaves STS's default (an hour); tags are sent sorted by key so
// the same grant makes the same request.
func (a *Access) Assume(ctx context.Context, g shell.Grant) (shell.Credentials, error) {
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(g.RoleARN),
		RoleSessionName: aws.String(g.SessionName),
	}
	if g.Policy != "" {
		in.Policy = aws.String(g.Policy)
	}
	if g.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(g.Duration / time.Second))
	}
	keys := make([]string, 0, len(g.Tags))
	for k := range g.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(g.Tags[k])})
	}
	out, err := a.STS.AssumeRole(ctx, in)
	if err != nil {
		return shell.Credentials{}, classify("sts AssumeRole "+g.RoleARN, err)
	}
	c := out.Credentials
	if c == nil {
		return shell.Credentials{}, fmt.Errorf("sts AssumeRole %s: no credentials in the answer", g.RoleARN)
	}
	return shell.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Expiration: aws.ToTime(c.Expiration),
	}, nil
}

// RunningTasks implements shell.Access: ListTasks for the service's
// running tasks, pages followed up to MaxTasks ARNs.
func (a *Access) RunningTasks(ctx context.Context, cluster, service string) ([]string, error) {
	pages := ecs.NewListTasksPaginator(a.ECS, &ecs.ListTasksInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusRunning, MaxResults: aws.Int32(MaxTasks),
	})
	arns := []string{}
	for pages.HasMorePages() && len(arns) < MaxTasks {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify("ecs ListTasks "+service, err)
		}
		arns = append(arns, page.TaskArns...)
	}
	if len(arns) > MaxTasks {
		arns = arns[:MaxTasks]
	}
	return arns, nil
}

// classify marks the provider's refusals of the caller (AccessDenied from
// STS, AccessDeniedException from ECS) as shell.ErrDenied.
func classify(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "AccessDeniedException") {
		return fmt.Errorf("%w: %s", shell.ErrDenied, api.ErrorMessage())
	}
	return fmt.Errorf("%s: %w", op, err)
}
