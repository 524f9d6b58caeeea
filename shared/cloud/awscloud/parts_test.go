package awscloud_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsautoscaling"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsdatabase"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsfilesystem"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsnetwork"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsrepository"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsruntime"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsservice"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/provision"
)

// part names, in the order of cloud.Kinds.
const (
	database   = "awsdatabase"
	filesystem = "awsfilesystem"
	repository = "awsrepository"
	runtime    = "awsruntime"
	network    = "awsnetwork"
	service    = "awsservice"
	scaling    = "awsautoscaling"
)

var partNames = []string{database, filesystem, repository, runtime, network, service, scaling}

// newParts builds every part with its New, each with its own stub.
func newParts(t *testing.T) (cloud.Parts, map[string]*awstest.Stub) {
	return newPartsWith(t, (*awstest.Stub).Config)
}

// newPartsWith is newParts with the SDK configuration config gives each stub.
func newPartsWith(t *testing.T, config func(*awstest.Stub) aws.Config) (cloud.Parts, map[string]*awstest.Stub) {
	stubs := map[string]*awstest.Stub{}
	for _, name := range partNames {
		stubs[name] = awstest.New(t)
	}
	on := func(name string) (aws.Config, awscloud.Platform, func(string) string) {
		return config(stubs[name]), awstest.Platform, stubs[name].Getenv
	}
	return cloud.Parts{
		awsdatabase.New(on(database)), awsfilesystem.New(on(filesystem)), awsrepository.New(on(repository)),
		awsruntime.New(on(runtime)), awsnetwork.New(on(network)), awsservice.New(on(service)), awsautoscaling.New(on(scaling)),
	}, stubs
}

// TestPartsHoldEveryKindOnce: together the parts check and delete every
// kind, and no kind has two parts.
func TestPartsHoldEveryKindOnce(t *testing.T) {
	parts, _ := newParts(t)
	held := map[cloud.Kind]int{}
	for _, p := range parts {
		for _, k := range p.Kinds() {
			held[k]++
			if !slices.Contains(cloud.Kinds, k) {
				t.Errorf("%T holds %q, which is no kind", p, k)
			}
		}
	}
	for _, k := range cloud.Kinds {
		if held[k] != 1 {
			t.Errorf("kind %s is held by %d parts, want 1", k, held[k])
		}
	}
}

// taskSpec is the least task spec the mapping takes.
func taskSpec() cloud.TaskSpec {
	return cloud.TaskSpec{Family: "berth-acme-my-app-production", Compose: compose.Definition{
		TaskCPU: aws.Int(256), TaskMemory: aws.Int(512), Architecture: aws.String("ARM64"),
		Containers: []compose.Container{{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx"}}},
	}}
}

// TestPartsRouteEveryCall: the parts together are a whole Cloud; each
// call reaches its own part's clients (the first request it sends is seen
// by that part's stub, and no other stub sees any).
func TestPartsRouteEveryCall(t *testing.T) {
	ctx := context.Background()
	var c cloud.Cloud
	ref := func(k cloud.Kind) cloud.Ref { return cloud.Ref{Kind: k, Name: "berth-x", ID: "id-x"} }
	check := func(k cloud.Kind) func() error {
		return func() error { _, err := c.Check(ctx, ref(k)); return err }
	}
	del := func(k cloud.Kind) func() error {
		return func() error { _, err := c.Delete(ctx, ref(k), cloud.DeleteOptions{}); return err }
	}
	for _, tc := range []struct {
		name, part, op string
		call           func() error
	}{
		{"CreateDatabase", database, "CreateDBInstance", func() error { _, err := c.CreateDatabase(ctx, cloud.DatabaseSpec{Identifier: "x"}); return err }},
		{"CreateFilesystem", filesystem, "CreateFileSystem", func() error { _, err := c.CreateFilesystem(ctx, cloud.FilesystemSpec{CreationToken: "x"}); return err }},
		{"CreateRepository", repository, "CreateRepository", func() error { _, err := c.CreateRepository(ctx, cloud.RepositorySpec{Name: "x"}); return err }},
		{"CreateLogGroup", runtime, "CreateLogGroup", func() error { _, err := c.CreateLogGroup(ctx, cloud.LogGroupSpec{Name: "x"}); return err }},
		{"CreateSecret", runtime, "CreateSecret", func() error { _, err := c.CreateSecret(ctx, cloud.SecretSpec{Name: "x"}); return err }},
		{"CreateAccessPoint", runtime, "CreateAccessPoint", func() error {
			_, err := c.CreateAccessPoint(ctx, cloud.AccessPointSpec{FilesystemID: "fs-x", ClientToken: "x", RootDirectory: "/x"})
			return err
		}},
		{"CreateSecurityGroup", network, "CreateSecurityGroup", func() error { _, err := c.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{Name: "x"}); return err }},
		{"CreateTargetGroup", network, "CreateTargetGroup", func() error {
			_, err := c.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "x", Port: 80})
			return err
		}},
		{"CreateListenerRule", network, "DescribeRules", func() error { _, err := c.CreateListenerRule(ctx, cloud.ListenerRuleSpec{Host: "x"}); return err }},
		{"RegisterTaskDefinition", service, "RegisterTaskDefinition", func() error { _, err := c.RegisterTaskDefinition(ctx, taskSpec()); return err }},
		{"CreateService", service, "CreateService", func() error {
			_, err := c.CreateService(ctx, cloud.ServiceSpec{Name: "x", TaskDefinitionARN: "x"})
			return err
		}},
		{"RegisterScaling", scaling, "RegisterScalableTarget", func() error { _, err := c.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: "x"}); return err }},
		{"UpdateService", service, "UpdateService", func() error { _, err := c.UpdateService(ctx, cloud.ServiceUpdate{Name: "x"}); return err }},
		{"Rollout", service, "DescribeServices", func() error { _, err := c.Rollout(ctx, "x", "x"); return err }},
		{"LogLines", runtime, "GetLogEvents", func() error { _, err := c.LogLines(ctx, "x", "x", 5); return err }},
		{"CreateScheduleGroup", runtime, "CreateScheduleGroup", func() error {
			_, err := c.CreateScheduleGroup(ctx, cloud.ScheduleGroupSpec{Name: "x"})
			return err
		}},
		{"RunTask", service, "RunTask", func() error {
			_, err := c.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: "x", Container: "x", SecurityGroupID: "x"})
			return err
		}},
		{"DescribeTask", service, "DescribeTasks", func() error { _, err := c.DescribeTask(ctx, "x", "x"); return err }},
		{"StopTask", service, "StopTask", func() error { return c.StopTask(ctx, "x", "x") }},

		{"Check database", database, "DescribeDBInstances", check(cloud.KindDatabase)},
		{"Check filesystem", filesystem, "DescribeFileSystems", check(cloud.KindFilesystem)},
		{"Check repository", repository, "DescribeRepositories", check(cloud.KindRepository)},
		{"Check log-group", runtime, "DescribeLogGroups", check(cloud.KindLogGroup)},
		{"Check secret", runtime, "DescribeSecret", check(cloud.KindSecret)},
		{"Check access-point", runtime, "DescribeAccessPoints", check(cloud.KindAccessPoint)},
		{"Check security-group", network, "DescribeSecurityGroups", check(cloud.KindSecurityGroup)},
		{"Check target-group", network, "DescribeTargetGroups", check(cloud.KindTargetGroup)},
		{"Check listener-rule", network, "DescribeRules", check(cloud.KindListenerRule)},
		{"Check task-definition", service, "DescribeTaskDefinition", check(cloud.KindTaskDefinition)},
		{"Check service", service, "DescribeServices", check(cloud.KindService)},
		{"Check scaling", scaling, "DescribeScalableTargets", check(cloud.KindScaling)},
		{"Check schedule-group", runtime, "GetScheduleGroup", check(cloud.KindScheduleGroup)},

		{"Delete database", database, "DeleteDBInstance", del(cloud.KindDatabase)},
		{"Delete filesystem", filesystem, "DescribeFileSystems", del(cloud.KindFilesystem)},
		{"Delete repository", repository, "DeleteRepository", del(cloud.KindRepository)},
		{"Delete log-group", runtime, "DeleteLogGroup", del(cloud.KindLogGroup)},
		{"Delete secret", runtime, "DeleteSecret", del(cloud.KindSecret)},
		{"Delete access-point", runtime, "DeleteAccessPoint", del(cloud.KindAccessPoint)},
		{"Delete security-group", network, "DeleteSecurityGroup", del(cloud.KindSecurityGroup)},
		{"Delete target-group", network, "DeleteTargetGroup", del(cloud.KindTargetGroup)},
		{"Delete listener-rule", network, "DeleteRule", del(cloud.KindListenerRule)},
		{"Delete task-definition", service, "DeregisterTaskDefinition", del(cloud.KindTaskDefinition)},
		{"Delete service", service, "DescribeServices", del(cloud.KindService)},
		{"Delete scaling", scaling, "DeregisterScalableTarget", del(cloud.KindScaling)},
		{"Delete schedule-group", runtime, "GetScheduleGroup", del(cloud.KindScheduleGroup)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, stubs := newParts(t)
			c = parts
			stubs[tc.part].On(tc.op, awstest.AWSErr("AccessDeniedException", "stop here"))
			err := tc.call()
			if errors.Is(err, cloud.ErrNoPart) || err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
				t.Errorf("error %v, want the stub's answer", err)
			}
			for name, stub := range stubs {
				want := []string(nil)
				if name == tc.part {
					want = []string{tc.op}
				}
				if got := stub.Ops(); !reflect.DeepEqual(got, want) {
					t.Errorf("%s saw %v, want %v", name, got, want)
				}
			}
		})
	}
}

// TestPartsRefuseOtherKinds: a part's Check and Delete of a kind it does
// not hold are invalid requests, and send nothing.
func TestPartsRefuseOtherKinds(t *testing.T) {
	parts, stubs := newParts(t)
	for _, p := range parts {
		for _, k := range append(slices.Clone(cloud.Kinds), "volcano") {
			if slices.Contains(p.Kinds(), k) {
				continue
			}
			ref := cloud.Ref{Kind: k, Name: "x", ID: "x"}
			if _, err := p.Check(context.Background(), ref); !errors.Is(err, cloud.ErrInvalid) {
				t.Errorf("%T check %s: %v", p, k, err)
			}
			if gone, err := p.Delete(context.Background(), ref, cloud.DeleteOptions{}); gone || !errors.Is(err, cloud.ErrInvalid) {
				t.Errorf("%T delete %s: gone %v, %v", p, k, gone, err)
			}
		}
	}
	for name, stub := range stubs {
		if len(stub.Ops()) != 0 {
			t.Errorf("%s saw %v", name, stub.Ops())
		}
	}
}

// client is one SDK client's options, as New set them.
type client struct {
	name, endpointVar string
	retryer           aws.Retryer
	region            string
	endpoint          *string
}

// clients are every client of every part.
func clients(cfg aws.Config, getenv func(string) string) []client {
	db := awsdatabase.New(cfg, awstest.Platform, getenv)
	fs := awsfilesystem.New(cfg, awstest.Platform, getenv)
	repo := awsrepository.New(cfg, awstest.Platform, getenv)
	rt := awsruntime.New(cfg, awstest.Platform, getenv)
	net := awsnetwork.New(cfg, awstest.Platform, getenv)
	svc := awsservice.New(cfg, awstest.Platform, getenv)
	as := awsautoscaling.New(cfg, awstest.Platform, getenv)
	return []client{
		{"awsdatabase RDS", "RDS", db.RDS.Options().Retryer, db.RDS.Options().Region, db.RDS.Options().BaseEndpoint},
		{"awsfilesystem EFS", "EFS", fs.EFS.Options().Retryer, fs.EFS.Options().Region, fs.EFS.Options().BaseEndpoint},
		{"awsrepository ECR", "ECR", repo.ECR.Options().Retryer, repo.ECR.Options().Region, repo.ECR.Options().BaseEndpoint},
		{"awsruntime Logs", "CLOUDWATCH_LOGS", rt.Logs.Options().Retryer, rt.Logs.Options().Region, rt.Logs.Options().BaseEndpoint},
		{"awsruntime Secrets", "SECRETS_MANAGER", rt.Secrets.Options().Retryer, rt.Secrets.Options().Region, rt.Secrets.Options().BaseEndpoint},
		{"awsruntime EFS", "EFS", rt.EFS.Options().Retryer, rt.EFS.Options().Region, rt.EFS.Options().BaseEndpoint},
		{"awsruntime Scheduler", "SCHEDULER", rt.Scheduler.Options().Retryer, rt.Scheduler.Options().Region, rt.Scheduler.Options().BaseEndpoint},
		{"awsnetwork EC2", "EC2", net.EC2.Options().Retryer, net.EC2.Options().Region, net.EC2.Options().BaseEndpoint},
		{"awsnetwork ELB", "ELASTIC_LOAD_BALANCING_V2", net.ELB.Options().Retryer, net.ELB.Options().Region, net.ELB.Options().BaseEndpoint},
		{"awsservice ECS", "ECS", svc.ECS.Options().Retryer, svc.ECS.Options().Region, svc.ECS.Options().BaseEndpoint},
		{"awsautoscaling Scaling", "APPLICATION_AUTO_SCALING", as.Scaling.Options().Retryer, as.Scaling.Options().Region, as.Scaling.Options().BaseEndpoint},
	}
}

// TestNewKeepsTheStandardRetryer: retries live in the SDK clients (and
// nowhere else), so New must not replace or disable them.
func TestNewKeepsTheStandardRetryer(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	for _, o := range clients(cfg, nil) {
		if o.retryer == nil || o.retryer.MaxAttempts() != 3 {
			t.Errorf("%s: retryer %T, want the SDK's standard one", o.name, o.retryer)
		}
		if o.region != "eu-west-1" {
			t.Errorf("%s: region %s, want the platform's", o.name, o.region)
		}
		if o.endpoint != nil {
			t.Errorf("%s: endpoint %s without an override", o.name, *o.endpoint)
		}
	}
}

// TestNewOverridesEndpointsPerService: each client takes its own
// service's AWS_ENDPOINT_URL_<SERVICE>, and only that one.
func TestNewOverridesEndpointsPerService(t *testing.T) {
	each := func(name string) string { return "http://" + strings.ToLower(name) + ".localhost:4566" }
	for _, o := range clients(aws.Config{Region: "eu-west-1"}, each) {
		if got, want := aws.ToString(o.endpoint), each("AWS_ENDPOINT_URL_"+o.endpointVar); got != want {
			t.Errorf("%s: endpoint %q, want %q", o.name, got, want)
		}
	}
	elbOnly := func(name string) string {
		if name == "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2" {
			return "http://localhost:4566"
		}
		return ""
	}
	for _, o := range clients(aws.Config{Region: "eu-west-1"}, elbOnly) {
		if want := o.endpointVar == "ELASTIC_LOAD_BALANCING_V2"; (o.endpoint != nil) != want {
			t.Errorf("%s: endpoint %v", o.name, aws.ToString(o.endpoint))
		}
	}
}

// stepEnv is what the CDK stack sets for the adapters.
var stepEnv = map[string]string{
	awscloud.EnvAccount: "123456789012", awscloud.EnvLoadBalancerSecurityGroup: "sg-alb", awscloud.EnvListenerARN: "arn:listener",
	awscloud.EnvDatabaseSubnetGroup: "berth-db", awscloud.EnvDatabaseSecurityGroup: "sg-db", awscloud.EnvFilesystemSecurityGroup: "sg-efs",
}

var bootPlatform = provision.Platform{Region: "eu-west-1", Cluster: "berth", VPC: "vpc-0abc", Subnets: []string{"subnet-a"}, ExecutionRoleARN: "arn:role"}

// fromEnvs are every FromEnv, a stepboot.CloudPort each.
var fromEnvs = map[string]func(aws.Config, provision.Platform, func(string) string) (cloud.Cloud, error){
	database: awsdatabase.FromEnv, filesystem: awsfilesystem.FromEnv, repository: awsrepository.FromEnv,
	runtime: awsruntime.FromEnv, network: awsnetwork.FromEnv, service: awsservice.FromEnv, scaling: awsautoscaling.FromEnv,
}

func TestPlatformFromEnv(t *testing.T) {
	p, err := awscloud.PlatformFromEnv(bootPlatform, func(name string) string { return stepEnv[name] })
	want := awscloud.Platform{Region: "eu-west-1", Account: "123456789012", Cluster: "berth", VPC: "vpc-0abc", Subnets: []string{"subnet-a"},
		LoadBalancerSecurityGroup: "sg-alb", DatabaseSubnetGroup: "berth-db", DatabaseSecurityGroup: "sg-db", FilesystemSecurityGroup: "sg-efs",
		ListenerARN: "arn:listener", ExecutionRoleARN: "arn:role"}
	if err != nil || !reflect.DeepEqual(p, want) {
		t.Fatalf("platform %+v, %v\nwant     %+v", p, err, want)
	}
	partial := func(name string) string {
		if name == awscloud.EnvListenerARN || name == awscloud.EnvAccount {
			return ""
		}
		return stepEnv[name]
	}
	const missing = "not set: BERTH_ACCOUNT_ID, BERTH_LISTENER_ARN"
	if _, err := awscloud.PlatformFromEnv(bootPlatform, partial); err == nil || err.Error() != missing {
		t.Errorf("error %v, want %q", err, missing)
	}
	// Every part needs every variable.
	for name, fromEnv := range fromEnvs {
		if c, err := fromEnv(aws.Config{}, bootPlatform, partial); c != nil || err == nil || err.Error() != missing {
			t.Errorf("%s: cloud %v, error %v; want %q", name, c, err, missing)
		}
	}
}

// TestFromEnv: each part's FromEnv is that part alone, on the platform
// from the environment.
func TestFromEnv(t *testing.T) {
	getenv := func(name string) string { return stepEnv[name] }
	want := map[string][]string{
		database: {"*awsdatabase.Part"}, filesystem: {"*awsfilesystem.Part"}, repository: {"*awsrepository.Part"},
		runtime: {"*awsruntime.Part"}, network: {"*awsnetwork.Part"}, service: {"*awsservice.Part"}, scaling: {"*awsautoscaling.Part"},
	}
	for name, fromEnv := range fromEnvs {
		c, err := fromEnv(aws.Config{}, bootPlatform, getenv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		parts, ok := c.(cloud.Parts)
		if !ok {
			t.Fatalf("%s: cloud %T, want cloud.Parts", name, c)
		}
		var types []string
		for _, p := range parts {
			types = append(types, reflect.TypeOf(p).String())
			if plat := reflect.ValueOf(p).Elem().FieldByName("Platform").Interface().(awscloud.Platform); plat.ListenerARN != "arn:listener" || plat.Cluster != "berth" {
				t.Errorf("%s: %T on platform %+v", name, p, plat)
			}
		}
		if !reflect.DeepEqual(types, want[name]) {
			t.Errorf("%s: parts %v, want %v", name, types, want[name])
		}
	}
}
