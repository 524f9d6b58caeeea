package awsservice

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// serviceExpected is how long a Fargate service usually takes to pull its
// images, start its tasks and pass the load balancer's health checks.
const serviceExpected = 2 * time.Minute

// healthCheckGracePeriod lets a task start before the load balancer's
// failed health checks count against it.
const healthCheckGracePeriod = 60

// RegisterTaskDefinition registers a revision of the spec's family. Every
// call registers a new revision; the workflow records the one it got.
func (c *Part) RegisterTaskDefinition(ctx context.Context, spec cloud.TaskSpec) (cloud.Resource, error) {
	if spec.ExecutionRoleARN == "" {
		spec.ExecutionRoleARN = c.Platform.ExecutionRoleARN
	}
	if spec.Region == "" {
		spec.Region = c.Platform.Region
	}
	if spec.Compose.TaskRoleARN == nil && c.Platform.TaskRoleARN != "" {
		spec.Compose.TaskRoleARN = aws.String(c.Platform.TaskRoleARN)
	}
	in, err := RegisterTaskDefinitionInput(spec)
	if err != nil {
		return cloud.Resource{}, fmt.Errorf("%w: %w", cloud.ErrInvalid, err)
	}
	out, err := c.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return taskDefinitionResource(spec.Family, out.TaskDefinition, out.Tags), nil
}

// taskDefinitionResource names a revision family:revision, as the sandbox
// does: records key resources by kind and name, so each registration keeps
// its own entry and teardown deregisters every one.
func taskDefinitionResource(family string, td *types.TaskDefinition, tags []types.Tag) cloud.Resource {
	arn := aws.ToString(td.TaskDefinitionArn)
	r := cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindTaskDefinition, Name: family + ":" + strconv.Itoa(int(td.Revision)), ID: arn},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: arn, cloud.OutRevision: strconv.Itoa(int(td.Revision))},
	}
	for _, t := range tags {
		if aws.ToString(t.Key) == cloud.TagRelease {
			r.Outputs[cloud.OutRelease] = aws.ToString(t.Value)
		}
	}
	if td.Status != "" && td.Status != types.TaskDefinitionStatusActive {
		r.State = cloud.StateDeleting
	}
	return r
}

func (c *Part) checkTaskDefinition(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	id := ref.ID
	if id == "" {
		id = ref.Name // the family's latest active revision
	}
	// With its tags: a deployment adopts a revision tagged with its release.
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(id),
		Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		if missingTaskDefinition(err) {
			return cloud.Resource{}, fmt.Errorf("%w: %w", cloud.ErrNotFound, awscloud.Fail(err))
		}
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return taskDefinitionResource(ref.Name, out.TaskDefinition, out.Tags), nil
}

// missingTaskDefinition: ECS says a task definition does not exist with
// a ClientException; only its message tells.
func missingTaskDefinition(err error) bool {
	m := strings.ToLower(awscloud.Message(err))
	return awscloud.Code(err) == "ClientException" && (strings.Contains(m, "unable to describe") || strings.Contains(m, "does not exist"))
}

// deleteTaskDefinition deregisters the revision and deletes it; a
// revision that is already inactive or being deleted is fine.
func (c *Part) deleteTaskDefinition(ctx context.Context, ref cloud.Ref) (bool, error) {
	if ref.ID == "" {
		return false, fmt.Errorf("%w: ecs: task definition %s has no revision ARN", cloud.ErrInvalid, ref.Name)
	}
	_, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(ref.ID)})
	switch {
	case missingTaskDefinition(err):
		return true, nil
	case err != nil && !(awscloud.Code(err) == "ClientException" && strings.Contains(strings.ToLower(awscloud.Message(err)), "inactive")):
		return false, awscloud.Fail(err)
	}
	out, err := c.ECS.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{ref.ID}})
	if err != nil {
		return false, awscloud.Fail(err)
	}
	for _, f := range out.Failures {
		reason := aws.ToString(f.Reason) + " " + aws.ToString(f.Detail)
		if !strings.Contains(reason, "DELETE_IN_PROGRESS") && !strings.Contains(strings.ToLower(reason), "does not exist") {
			return false, fmt.Errorf("ecs DeleteTaskDefinitions: %s: %s", aws.ToString(f.Arn), strings.TrimSpace(reason))
		}
	}
	return true, nil
}

// CreateService creates a Fargate service in the platform's private
// subnets. The deployment circuit breaker rolls a failing deployment back,
// so Check can report FAILED instead of waiting for ever. ECS Exec is
// enabled, for shell access (shared/shell): its tasks run the SSM agent,
// which also needs the task role to allow ssmmessages.
func (c *Part) CreateService(ctx context.Context, spec cloud.ServiceSpec) (cloud.Resource, error) {
	in := &ecs.CreateServiceInput{
		Cluster:        aws.String(c.Platform.Cluster),
		ServiceName:    aws.String(spec.Name),
		TaskDefinition: aws.String(spec.TaskDefinitionARN),
		DesiredCount:   aws.Int32(int32(spec.DesiredCount)),
		LaunchType:     types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets:        c.Platform.Subnets,
			SecurityGroups: []string{spec.SecurityGroupID},
			AssignPublicIp: types.AssignPublicIpDisabled,
		}},
		DeploymentConfiguration: &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		ClientToken:          aws.String(spec.ClientToken),
		PropagateTags:        types.PropagateTagsService,
		EnableECSManagedTags: true,
		EnableExecuteCommand: true,
		Tags:                 awscloud.TagList(spec.Tags, ecsTag),
	}
	if spec.TargetGroupARN != "" {
		in.LoadBalancers = []types.LoadBalancer{{
			TargetGroupArn: aws.String(spec.TargetGroupARN),
			ContainerName:  aws.String(spec.ContainerName),
			ContainerPort:  aws.Int32(int32(spec.ContainerPort)),
		}}
		in.HealthCheckGracePeriodSeconds = aws.Int32(healthCheckGracePeriod)
	}
	out, err := c.ECS.CreateService(ctx, in)
	if err != nil {
		// An existing service (created by an earlier try with another
		// token) is refused as an invalid parameter.
		if awscloud.Code(err) == "InvalidParameterException" || strings.Contains(strings.ToLower(awscloud.Message(err)), "already exists") {
			svc, derr := c.describeService(ctx, spec.Name)
			if derr == nil && svc != nil && aws.ToString(svc.Status) == "ACTIVE" {
				return serviceResource(spec.Name, svc), nil
			}
		}
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return serviceResource(spec.Name, out.Service), nil
}

// describeService returns the service, or nil when ECS does not know it.
func (c *Part) describeService(ctx context.Context, name string) (*types.Service, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(c.Platform.Cluster), Services: []string{name}})
	if err != nil {
		return nil, awscloud.Fail(err)
	}
	if len(out.Services) > 0 {
		return &out.Services[0], nil
	}
	for _, f := range out.Failures {
		if aws.ToString(f.Reason) != "MISSING" {
			return nil, fmt.Errorf("ecs DescribeServices: %s: %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
		}
	}
	return nil, nil
}

// serviceResource: a service is AVAILABLE once its primary deployment
// has completed with every task running.
func serviceResource(name string, svc *types.Service) cloud.Resource {
	r := cloud.Resource{
		Ref:      cloud.Ref{Kind: cloud.KindService, Name: name, ID: aws.ToString(svc.ServiceArn)},
		State:    cloud.StateCreating,
		Outputs:  map[string]string{cloud.OutARN: aws.ToString(svc.ServiceArn)},
		Expected: serviceExpected,
	}
	if aws.ToString(svc.Status) != "ACTIVE" {
		r.State = cloud.StateDeleting
		return r
	}
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) != "PRIMARY" {
			continue
		}
		r.Outputs[cloud.OutRunning] = strconv.Itoa(int(d.RunningCount))
		r.Outputs[cloud.OutDesired] = strconv.Itoa(int(d.DesiredCount))
		r.Outputs[cloud.OutRollout] = string(d.RolloutState)
		switch {
		case d.RolloutState == types.DeploymentRolloutStateFailed:
			r.State, r.Reason = cloud.StateFailed, aws.ToString(d.RolloutStateReason)
		case d.RolloutState == types.DeploymentRolloutStateCompleted && d.RunningCount >= d.DesiredCount:
			r.State = cloud.StateAvailable
		}
	}
	return r
}

func (c *Part) checkService(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	svc, err := c.describeService(ctx, serviceID(ref))
	if err != nil {
		return cloud.Resource{}, err
	}
	if svc == nil || aws.ToString(svc.Status) == "INACTIVE" {
		return cloud.Resource{}, awscloud.NotFound("ecs: no service " + ref.Name + " in " + c.Platform.Cluster)
	}
	return serviceResource(ref.Name, svc), nil
}

// deleteService scales the service to zero and deletes it; it is gone
// once ECS has drained it (INACTIVE) or forgotten it.
func (c *Part) deleteService(ctx context.Context, ref cloud.Ref) (bool, error) {
	id := serviceID(ref)
	svc, err := c.describeService(ctx, id)
	switch {
	case errors.Is(err, cloud.ErrNotFound): // ServiceNotFoundException
		return true, nil
	case err != nil:
		return false, err
	case svc == nil || aws.ToString(svc.Status) == "INACTIVE":
		return true, nil
	case aws.ToString(svc.Status) == "DRAINING":
		return false, nil
	}
	if svc.DesiredCount > 0 {
		_, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(c.Platform.Cluster), Service: aws.String(id), DesiredCount: aws.Int32(0)})
		if err != nil {
			switch awscloud.Code(err) {
			case "ServiceNotFoundException":
				return true, nil
			case "ServiceNotActiveException":
				return false, nil
			}
			return false, awscloud.Fail(err)
		}
	}
	_, err = c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(c.Platform.Cluster), Service: aws.String(id), Force: aws.Bool(true)})
	switch awscloud.Code(err) {
	case "ServiceNotFoundException":
		return true, nil
	case "ServiceNotActiveException":
		return false, nil
	}
	return false, awscloud.Fail(err)
}

// serviceID: the ARN when known, else the name in the platform cluster.
func serviceID(ref cloud.Ref) string {
	if ref.ID != "" {
		return ref.ID
	}
	return ref.Name
}

func ecsTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
