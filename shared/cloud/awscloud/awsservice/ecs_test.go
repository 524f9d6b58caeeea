package awsservice

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const (
	taskDefARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:1"
	serviceARN = "arn:aws:ecs:eu-west-1:123456789012:service/berth/berth-acme-my-app-production-0123456789"
	// tgARN is the target group the service is behind.
	tgARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-production-0123456789/73e2d6bc24d8a067"
)

// TestRegisterTaskDefinitionThroughTheCloud: the mapping plus tags, and
// the platform's execution role and region when the spec names none.
func TestRegisterTaskDefinitionThroughTheCloud(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RegisterTaskDefinition", awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"`+taskDefARN+`","revision":1,"status":"ACTIVE"}}`))
	spec := richSpec(t)
	spec.ExecutionRoleARN, spec.Region, spec.Tags = "", "", awstest.Tags
	r, err := c.RegisterTaskDefinition(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	body := stub.Only("RegisterTaskDefinition").JSON
	awstest.CheckJSON(t, body["tags"], `[{"key":"berth:application","value":"my-app"},{"key":"berth:managed","value":"true"}]`)
	if body["executionRoleArn"] != awstest.Platform.ExecutionRoleARN {
		t.Errorf("execution role %v", body["executionRoleArn"])
	}
	logs := body["containerDefinitions"].([]any)[0].(map[string]any)["logConfiguration"].(map[string]any)["options"].(map[string]any)
	if logs["awslogs-region"] != "eu-west-1" {
		t.Errorf("log region %v", logs["awslogs-region"])
	}
	want := cloud.Resource{
		Ref:   cloud.Ref{Kind: cloud.KindTaskDefinition, Name: spec.Family + ":1", ID: taskDefARN},
		State: cloud.StateAvailable, Outputs: map[string]string{cloud.OutARN: taskDefARN, cloud.OutRevision: "1"},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resource %+v\nwant     %+v", r, want)
	}
}

func TestRegisterTaskDefinitionRefusedBeforeTheNetwork(t *testing.T) {
	c, stub := testPart(t)
	spec := richSpec(t)
	spec.RepositoryURI = ""
	if _, err := c.RegisterTaskDefinition(context.Background(), spec); !errors.Is(err, cloud.ErrInvalid) || len(stub.Ops()) != 0 {
		t.Fatalf("error %v after %v", err, stub.Ops())
	}
}

func TestTaskDefinitionCheck(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindTaskDefinition, Name: "berth-acme-my-app-production", ID: taskDefARN}
	c, stub := testPart(t)
	stub.On("DescribeTaskDefinition",
		awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"`+taskDefARN+`","revision":1,"status":"ACTIVE"},"tags":[{"key":"berth:release","value":"4"}]}`),
		awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"`+taskDefARN+`","revision":1,"status":"INACTIVE"}}`),
		awstest.AWSErr("ClientException", "Unable to describe task definition."))
	for i, want := range []cloud.State{cloud.StateAvailable, cloud.StateDeleting} {
		r, err := c.Check(context.Background(), ref)
		if err != nil || r.State != want || r.Outputs[cloud.OutRevision] != "1" {
			t.Errorf("check %+v, %v; want %s", r, err, want)
		}
		if want := []string{"4", ""}[i]; r.Outputs[cloud.OutRelease] != want {
			t.Errorf("revision %d says release %q, want %q (its tag)", i, r.Outputs[cloud.OutRelease], want)
		}
	}
	// With its tags, so that a deployment finds the release a revision is for.
	awstest.CheckJSON(t, stub.All("DescribeTaskDefinition")[0].JSON, `{"include":["TAGS"],"taskDefinition":"`+taskDefARN+`"}`)
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing task definition: %v", err)
	}
}

func TestDeleteTaskDefinition(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindTaskDefinition, Name: "berth-acme-my-app-production", ID: taskDefARN}
	for _, tc := range []struct {
		name                string
		deregister, deletes awstest.Reply
		gone                bool
		wantErr             bool
		ops                 []string
	}{
		{"active", awstest.OK(`{"taskDefinition":{"status":"INACTIVE"}}`), awstest.OK(`{"taskDefinitions":[{"status":"DELETE_IN_PROGRESS"}]}`), true, false,
			[]string{"DeregisterTaskDefinition", "DeleteTaskDefinitions"}},
		{"inactive", awstest.AWSErr("ClientException", "The specified task definition is inactive."), awstest.OK(`{"taskDefinitions":[{"status":"DELETE_IN_PROGRESS"}]}`), true, false,
			[]string{"DeregisterTaskDefinition", "DeleteTaskDefinitions"}},
		{"being deleted", awstest.OK(`{}`), awstest.OK(`{"failures":[{"arn":"` + taskDefARN + `","reason":"The specified task definition is already in DELETE_IN_PROGRESS status."}]}`), true, false,
			[]string{"DeregisterTaskDefinition", "DeleteTaskDefinitions"}},
		{"missing", awstest.AWSErr("ClientException", "Unable to describe task definition."), awstest.Reply{}, true, false,
			[]string{"DeregisterTaskDefinition"}},
		{"refused", awstest.OK(`{}`), awstest.OK(`{"failures":[{"arn":"` + taskDefARN + `","reason":"The specified task definition is in use by a service."}]}`), false, true,
			[]string{"DeregisterTaskDefinition", "DeleteTaskDefinitions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DeregisterTaskDefinition", tc.deregister)
			if len(tc.ops) > 1 {
				stub.On("DeleteTaskDefinitions", tc.deletes)
			}
			gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
			if gone != tc.gone || (err != nil) != tc.wantErr || !reflect.DeepEqual(stub.Ops(), tc.ops) {
				t.Fatalf("gone %v, error %v after %v", gone, err, stub.Ops())
			}
			awstest.CheckJSON(t, stub.Only("DeregisterTaskDefinition").JSON, `{"taskDefinition":"`+taskDefARN+`"}`)
			if len(tc.ops) > 1 {
				awstest.CheckJSON(t, stub.Only("DeleteTaskDefinitions").JSON, `{"taskDefinitions":["`+taskDefARN+`"]}`)
			}
		})
	}
}

var serviceSpec = cloud.ServiceSpec{
	Name: "berth-acme-my-app-production-0123456789", TaskDefinitionARN: taskDefARN, DesiredCount: 2,
	SecurityGroupID: "sg-0123", TargetGroupARN: tgARN, ContainerName: "web", ContainerPort: 80,
	ClientToken: "0123456789abcdef0123456789abcdef", Tags: awstest.Tags,
}

func serviceJSON(status, rollout string, running, desired int) string {
	return `{"serviceArn":"` + serviceARN + `","serviceName":"berth-acme-my-app-production-0123456789","status":"` + status + `",` +
		`"desiredCount":` + strconv.Itoa(desired) + `,"runningCount":` + strconv.Itoa(running) + `,` +
		`"deployments":[{"id":"ecs-svc/2","status":"PRIMARY","rolloutState":"` + rollout + `","rolloutStateReason":"ECS deployment circuit breaker: tasks failed to start.","runningCount":` + strconv.Itoa(running) + `,"desiredCount":` + strconv.Itoa(desired) + `},` +
		`{"id":"ecs-svc/1","status":"ACTIVE","rolloutState":"COMPLETED","runningCount":0,"desiredCount":0}]}`
}

func TestCreateServiceRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 0, 2)+`}`))
	r, err := c.CreateService(context.Background(), serviceSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("CreateService").JSON, `{
		"cluster":"berth","serviceName":"berth-acme-my-app-production-0123456789","taskDefinition":"`+taskDefARN+`",
		"desiredCount":2,"launchType":"FARGATE",
		"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-a","subnet-b"],"securityGroups":["sg-0123"],"assignPublicIp":"DISABLED"}},
		"loadBalancers":[{"targetGroupArn":"`+tgARN+`","containerName":"web","containerPort":80}],
		"healthCheckGracePeriodSeconds":60,
		"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true}},
		"clientToken":"0123456789abcdef0123456789abcdef","propagateTags":"SERVICE","enableECSManagedTags":true,
		"enableExecuteCommand":true,
		"tags":[{"key":"berth:application","value":"my-app"},{"key":"berth:managed","value":"true"}]
	}`)
	if r.ID != serviceARN || r.State != cloud.StateCreating || r.Expected == 0 {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateServiceWithoutLoadBalancer(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 0, 1)+`}`))
	spec := serviceSpec
	spec.TargetGroupARN, spec.ContainerName, spec.ContainerPort = "", "", 0
	if _, err := c.CreateService(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	body := stub.Only("CreateService").JSON
	if _, ok := body["loadBalancers"]; ok {
		t.Error("load balancers sent")
	}
	if _, ok := body["healthCheckGracePeriodSeconds"]; ok {
		t.Error("a health check grace period without a load balancer")
	}
}

// TestCreateServiceThatExistsReadsIt: ECS refuses a second create (with
// another token) as an invalid parameter; the service is read instead.
func TestCreateServiceThatExistsReadsIt(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateService", awstest.AWSErr("InvalidParameterException", "Creation of service was not idempotent."))
	stub.On("DescribeServices", awstest.OK(`{"services":[`+serviceJSON("ACTIVE", "COMPLETED", 2, 2)+`],"failures":[]}`))
	r, err := c.CreateService(context.Background(), serviceSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("DescribeServices").JSON, `{"cluster":"berth","services":["berth-acme-my-app-production-0123456789"]}`)
	if r.ID != serviceARN || r.State != cloud.StateAvailable {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateServiceRefused(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateService", awstest.AWSErr("InvalidParameterException", "The target group does not have an associated load balancer."))
	stub.On("DescribeServices", awstest.OK(`{"services":[],"failures":[{"arn":"`+serviceARN+`","reason":"MISSING"}]}`))
	_, err := c.CreateService(context.Background(), serviceSpec)
	if !errors.Is(err, cloud.ErrInvalid) || err.Error() != "ecs CreateService: InvalidParameterException: The target group does not have an associated load balancer." {
		t.Fatalf("error %v", err)
	}
}

func TestCheckServiceStates(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindService, Name: serviceSpec.Name, ID: serviceARN}
	for _, tc := range []struct {
		name             string
		service          string
		want             cloud.State
		running, desired string
	}{
		{"rolling out", serviceJSON("ACTIVE", "IN_PROGRESS", 1, 2), cloud.StateCreating, "1", "2"},
		{"completed short of tasks", serviceJSON("ACTIVE", "COMPLETED", 1, 2), cloud.StateCreating, "1", "2"},
		{"completed", serviceJSON("ACTIVE", "COMPLETED", 2, 2), cloud.StateAvailable, "2", "2"},
		{"failed", serviceJSON("ACTIVE", "FAILED", 0, 2), cloud.StateFailed, "0", "2"},
		{"draining", serviceJSON("DRAINING", "COMPLETED", 0, 0), cloud.StateDeleting, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeServices", awstest.OK(`{"services":[`+tc.service+`]}`))
			r, err := c.Check(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.want || r.Outputs[cloud.OutRunning] != tc.running || r.Outputs[cloud.OutDesired] != tc.desired || r.Outputs[cloud.OutARN] != serviceARN {
				t.Errorf("resource %+v", r)
			}
			if tc.want == cloud.StateFailed && r.Reason != "ECS deployment circuit breaker: tasks failed to start." {
				t.Errorf("reason %q", r.Reason)
			}
			if tc.want == cloud.StateAvailable && r.Outputs[cloud.OutRollout] != "COMPLETED" {
				t.Errorf("rollout %q", r.Outputs[cloud.OutRollout])
			}
			awstest.CheckJSON(t, stub.Only("DescribeServices").JSON, `{"cluster":"berth","services":["`+serviceARN+`"]}`)
		})
	}
	for name, answer := range map[string]string{
		"missing":  `{"services":[],"failures":[{"arn":"` + serviceARN + `","reason":"MISSING"}]}`,
		"inactive": `{"services":[` + serviceJSON("INACTIVE", "COMPLETED", 0, 0) + `]}`,
	} {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(answer))
		if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

// TestDeleteService: scale to zero, delete, and gone only once ECS has
// drained the service.
func TestDeleteService(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindService, Name: serviceSpec.Name, ID: serviceARN}
	t.Run("active", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(`{"services":[`+serviceJSON("ACTIVE", "COMPLETED", 2, 2)+`]}`))
		stub.On("UpdateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "COMPLETED", 2, 0)+`}`))
		stub.On("DeleteService", awstest.OK(`{"service":`+serviceJSON("DRAINING", "COMPLETED", 2, 0)+`}`))
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
		if want := []string{"DescribeServices", "UpdateService", "DeleteService"}; !reflect.DeepEqual(stub.Ops(), want) {
			t.Errorf("calls %v, want %v", stub.Ops(), want)
		}
		awstest.CheckJSON(t, stub.Only("UpdateService").JSON, `{"cluster":"berth","service":"`+serviceARN+`","desiredCount":0}`)
		awstest.CheckJSON(t, stub.Only("DeleteService").JSON, `{"cluster":"berth","service":"`+serviceARN+`","force":true}`)
	})
	for _, tc := range []struct {
		name, answer string
		gone         bool
	}{
		{"draining", `{"services":[` + serviceJSON("DRAINING", "COMPLETED", 1, 0) + `]}`, false},
		{"inactive", `{"services":[` + serviceJSON("INACTIVE", "COMPLETED", 0, 0) + `]}`, true},
		{"missing", `{"services":[],"failures":[{"arn":"` + serviceARN + `","reason":"MISSING"}]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeServices", awstest.OK(tc.answer))
			gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
			if err != nil || gone != tc.gone || len(stub.Ops()) != 1 {
				t.Fatalf("gone %v, error %v after %v", gone, err, stub.Ops())
			}
		})
	}
	t.Run("deleted meanwhile", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeServices", awstest.OK(`{"services":[`+serviceJSON("ACTIVE", "COMPLETED", 0, 0)+`]}`))
		stub.On("DeleteService", awstest.AWSErr("ServiceNotFoundException", "Service not found."))
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
		if err != nil || !gone || len(stub.All("UpdateService")) != 0 {
			t.Fatalf("gone %v, error %v after %v", gone, err, stub.Ops())
		}
	})
}

// TestSDKValidationIsInvalid: the SDK's own validation refuses before
// the network, and that is an invalid request.
func TestSDKValidationIsInvalid(t *testing.T) {
	c, stub := testPart(t)
	spec := richSpec(t)
	spec.Compose.Containers = nil
	_, err := c.RegisterTaskDefinition(context.Background(), spec)
	var invalid smithy.InvalidParamsError
	if !errors.Is(err, cloud.ErrInvalid) || !errors.As(err, &invalid) || len(stub.Ops()) != 0 {
		t.Fatalf("error %v after %v", err, stub.Ops())
	}
	if !strings.HasPrefix(err.Error(), "ecs RegisterTaskDefinition: ") || !strings.Contains(err.Error(), "ContainerDefinitions") {
		t.Errorf("message %q", err)
	}
}

// TestRegisterTaskDefinitionDefaultTaskRole: a compose definition that
// names no task role gets the platform's (ECS Exec needs one); one that
// names its own keeps it; without a platform role there is none.
func TestRegisterTaskDefinitionDefaultTaskRole(t *testing.T) {
	const platformRole = "arn:aws:iam::123456789012:role/berth-task-default"
	own := richSpec(t).Compose.TaskRoleARN
	for _, c := range []struct {
		name, platform string
		own            *string
		want           any
	}{
		{"default", platformRole, nil, platformRole},
		{"own", platformRole, own, *own},
		{"none", "", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			stub := awstest.New(t)
			plat := awstest.Platform
			plat.TaskRoleARN = c.platform
			part := New(stub.Config(), plat, stub.Getenv)
			stub.On("RegisterTaskDefinition", awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"`+taskDefARN+`","revision":1,"status":"ACTIVE"}}`))
			spec := richSpec(t)
			spec.Compose.TaskRoleARN = c.own
			if _, err := part.RegisterTaskDefinition(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			if got := stub.Only("RegisterTaskDefinition").JSON["taskRoleArn"]; got != c.want {
				t.Errorf("taskRoleArn %v, want %v", got, c.want)
			}
		})
	}
}
