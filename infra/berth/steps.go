package berth

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

// StepFunctionTimeout bounds one invocation of a step function. Every Task
// state of statemachines/ gives its step TimeoutSeconds 120; the Lambda
// timeout stays below it, so a stuck step ends as a Lambda timeout (which
// the state machines see as Lambda's error) rather than a States.Timeout
// with the invocation still running. A step makes at most a few dozen AWS
// calls, each retried by the SDK's standard retryer; 90 s covers the worst
// retry backoff of several of them.
const StepFunctionTimeout = 90

// StepFunctionMemoryMB is the step functions' memory. They are bound by
// AWS API latency, not CPU: a step makes a handful of sequential calls
// (DynamoDB, then RDS, EFS, ECS, ...). A cloud step links the SDK clients
// of its group only (at most three) and uses 30 to 50 MB; 256 MB gives the cold start (one TLS handshake per
// service it calls) the same CPU share as the API functions, and more
// memory would not make the AWS APIs answer faster.
const StepFunctionMemoryMB = 256

// StepFunctionsProps configure the workflows' step functions.
type StepFunctionsProps struct {
	Config    Config
	Table     awsdynamodb.Table
	DataPlane *DataPlane
	// DataTaskRole is data tasks' task role, which the service step passes.
	DataTaskRole awsiam.IRole
}

// NewStepFunctions defines one function per provision.StepNames entry,
// each with its own role: the table for all, and for each cloud step the
// actions its group's adapter makes, on resources named with the resource
// prefix or tagged berth:managed=true.
func NewStepFunctions(scope constructs.Construct, props *StepFunctionsProps) (map[string]*Function, error) {
	cfg := props.Config
	env := StepEnvironment(scope, props)
	if cfg.DataImage == "" {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("berth:dataImage"), jsii.String(
			CtxDataImage+" is not set: every backup, restore and sync fails until it names the data image (images/berth-data), e.g. -c "+
				CtxDataImage+"=123456789012.dkr.ecr.eu-west-1.amazonaws.com/"+cfg.ResourcePrefix+"/berth-data:1.0"))
	}
	if cfg.PlatformDomain == "" {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("berth:platformDomain"), jsii.String(
			CtxPlatformDomain+" is not set: the step functions refuse to start without "+stepboot.EnvPlatformDomain+
				", so every workflow fails until it is set (e.g. -c "+CtxPlatformDomain+"=apps.example.com)"))
	}
	fns := map[string]*Function{}
	for _, step := range provision.StepNames {
		fn, err := NewFunction(scope, pascal(step), &FunctionProps{
			Name:             step,
			CodeDir:          cfg.CodeDir,
			Environment:      env,
			MemoryMB:         StepFunctionMemoryMB,
			TimeoutSeconds:   StepFunctionTimeout,
			LogRetentionDays: cfg.LogRetentionDays,
			Description:      "Berth workflow step " + step,
		})
		if err != nil {
			return nil, err
		}
		grantTable(fn, props.Table, false)
		statements, reasons := StepPolicy(scope, step, &StepPolicyProps{
			ResourcePrefix: cfg.ResourcePrefix, TaskRoleNames: cfg.TaskRoleNamePattern(), DataPlane: props.DataPlane,
			DataTaskRoleARN: dataTaskRoleARN(props),
		})
		for _, st := range statements {
			fn.Allow(st)
		}
		for _, r := range reasons {
			suppress(fn.Role, "AwsSolutions-IAM5", r.reason, r.appliesTo...)
		}
		fns[step] = fn
	}
	return fns, nil
}

// StepEnvironment is what boot.Step and awscloud.PlatformFromEnv read.
func StepEnvironment(scope constructs.Construct, props *StepFunctionsProps) map[string]*string {
	cfg, d := props.Config, props.DataPlane
	env := map[string]*string{
		boot.EnvTableName:                     props.Table.TableName(),
		stepboot.EnvExecutionRoleARN:          d.TaskExecutionRole.RoleArn(),
		stepboot.EnvDefaultTaskRoleARN:        d.DefaultTaskRole.RoleArn(),
		stepboot.EnvVPC:                       d.VPC.VpcId(),
		stepboot.EnvSubnets:                   awscdk.Fn_Join(jsii.String(","), d.TaskSubnets.SubnetIds),
		stepboot.EnvCluster:                   d.Cluster.ClusterArn(),
		stepboot.EnvLogRetentionDays:          jsii.String(strconv.Itoa(cfg.TenantLogRetentionDays)),
		awscloud.EnvAccount:                   awscdk.Stack_Of(scope).Account(),
		awscloud.EnvLoadBalancerSecurityGroup: d.LoadBalancerSecurityGroup.SecurityGroupId(),
		awscloud.EnvListenerARN:               d.Listener.ListenerArn(),
		awscloud.EnvDatabaseSubnetGroup:       d.DatabaseSubnetGroup.SubnetGroupName(),
		awscloud.EnvDatabaseSecurityGroup:     d.DatabaseSecurityGroup.SecurityGroupId(),
		awscloud.EnvFilesystemSecurityGroup:   d.FilesystemSecurityGroup.SecurityGroupId(),
	}
	if cfg.PlatformDomain != "" {
		env[stepboot.EnvPlatformDomain] = jsii.String(cfg.PlatformDomain)
	}
	if props.DataTaskRole != nil {
		env[stepboot.EnvDataTaskRoleARN] = props.DataTaskRole.RoleArn()
	}
	if cfg.DataImage != "" {
		env[stepboot.EnvDataImage] = jsii.String(cfg.DataImage)
	}
	return env
}

// dataTaskRoleARN is the data task role's ARN, or "" without one.
func dataTaskRoleARN(props *StepFunctionsProps) string {
	if props.DataTaskRole == nil {
		return ""
	}
	return *props.DataTaskRole.RoleArn()
}

// StepPolicyProps scope the step functions' cloud permissions.
type StepPolicyProps struct {
	ResourcePrefix string
	// TaskRoleNames is the name pattern of roles tenants may use as task role.
	TaskRoleNames string
	DataPlane     *DataPlane
	// DataTaskRoleARN is data tasks' task role, passed to ECS by the
	// service step with the data task definitions; "" passes none.
	DataTaskRoleARN string
}

// nagReason is a cdk-nag IAM5 suppression a step's statements need.
type nagReason struct {
	reason    string
	appliesTo []any
}

// StepPolicy is the cloud half of a step function's policy: what the
// AWS adapter (shared/cloud/awscloud) calls for that step, and nothing for
// step-begin and step-finish, which only use the table. Resources are
// those named with the prefix (<prefix>-*, <prefix>/*, /<prefix>/*) where
// the ARN carries the name, else those tagged berth:managed=true
// (aws:RequestTag when created, aws:ResourceTag after). The reasons are the
// IAM5 suppressions the wildcards need.
func StepPolicy(scope constructs.Construct, step string, props *StepPolicyProps) ([]awsiam.PolicyStatement, []nagReason) {
	stack := awscdk.Stack_Of(scope)
	p, d := props.ResourcePrefix, props.DataPlane
	arn := func(service, resource string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	}
	iamRole := func(name string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("iam"), Region: jsii.String(""),
			Resource: jsii.String("role/" + name), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	}
	cluster := *d.Cluster.ClusterName()
	var (
		db          = arn("rds", "db:"+p+"-*")
		snapshot    = arn("rds", "snapshot:"+p+"-*")
		filesystems = arn("elasticfilesystem", "file-system/*")
		accessPts   = arn("elasticfilesystem", "access-point/*")
		repos       = arn("ecr", "repository/"+p+"/*")
		logGroups   = arn("logs", "log-group:/"+p+"/*")
		secrets     = arn("secretsmanager", "secret:"+p+"/*")
		sgs         = arn("ec2", "security-group/*")
		enis        = arn("ec2", "network-interface/*")
		subnets     = arn("ec2", "subnet/*")
		vpc         = arn("ec2", "vpc/"+*d.VPC.VpcId())
		targetGrps  = arn("elasticloadbalancing", "targetgroup/"+p+"-*/*")
		rules       = arn("elasticloadbalancing", "listener-rule/"+*d.LoadBalancer.LoadBalancerFullName()+"/*")
		services    = arn("ecs", "service/"+cluster+"/"+p+"-*")
		taskDefs    = arn("ecs", "task-definition/"+p+"-*:*")
		alarms      = arn("cloudwatch", "alarm:TargetTracking-service/"+cluster+"/"+p+"-*")
		schedGroups = arn("scheduler", "schedule-group/"+p+"-*")
		tasks       = arn("ecs", "task/"+cluster+"/*")
	)
	managed := map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + cloud.ManagedTag: "true"}}
	requested := map[string]any{"StringEquals": map[string]any{"aws:RequestTag/" + cloud.ManagedTag: "true"}}
	inVPC := map[string]any{"ArnEquals": map[string]any{"ec2:Vpc": vpc}}
	var out []awsiam.PolicyStatement
	allow := func(actions []string, resources []string, conditions map[string]any) {
		props := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)}
		if conditions != nil {
			props.Conditions = &conditions
		}
		out = append(out, awsiam.NewPolicyStatement(props))
	}
	merge := func(a, b map[string]any) map[string]any {
		m := map[string]any{}
		for _, c := range []map[string]any{a, b} {
			for op, kv := range c {
				if m[op] == nil {
					m[op] = map[string]any{}
				}
				for k, v := range kv.(map[string]any) {
					m[op].(map[string]any)[k] = v
				}
			}
		}
		return m
	}

	// Reasons for the wildcards, each naming the findings it covers.
	var reasons []nagReason
	why := func(reason string, applies ...any) { reasons = append(reasons, nagReason{reason, applies}) }
	prefixed := "Tenant resources are created at run time with Berth's deterministic names, always under the " + p + " prefix (shared/cloud/names.go); the wildcard is the rest of the name."
	tagged := "EFS filesystems and access points, EC2 security groups and network interfaces have ids the service assigns, so the ARN cannot carry the prefix: every statement on them is conditioned on aws:RequestTag or aws:ResourceTag " + cloud.ManagedTag + "=true, or on ec2:Vpc being Berth's VPC."
	describe := "These Describe calls (ec2:DescribeSecurityGroups, elasticloadbalancing:DescribeTargetGroups/DescribeRules/DescribeTags, ecs:DescribeTaskDefinition, application-autoscaling:DescribeScalableTargets, logs:DescribeLogGroups, cloudwatch:DescribeAlarms, ec2:DescribeSubnets/DescribeNetworkInterfaces) accept only Resource \"*\" (or log-group:*); they read, never change."

	slr := func(services ...string) {
		var arns []string
		for _, s := range services {
			arns = append(arns, iamRole("aws-service-role/"+s+"/*"))
		}
		allow([]string{"iam:CreateServiceLinkedRole"}, arns, map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": services}})
		why("iam:CreateServiceLinkedRole only for the linked role of "+strings.Join(services, ", ")+" (iam:AWSServiceName), whose name AWS sets; the first of its kind in an account creates it.",
			appliesRegex(`/^Resource::arn:.*:iam::.*:role\/aws-service-role\/.*\/\*$/`))
	}

	// Each cloud step creates, checks and deletes one group's resources.
	switch step {
	case provision.StepDatabase:
		// The instance (the subnet group and default parameter and option
		// groups are named in the request); RDS keeps the master password
		// in a secret rds!db-... it creates in the caller's name. Teardown
		// deletes it with a final snapshot named <instance>-final.
		allow([]string{"rds:CreateDBInstance"}, []string{db, arn("rds", "subgrp:"+*d.DatabaseSubnetGroup.SubnetGroupName()), arn("rds", "pg:default.*"), arn("rds", "og:default:*")}, requested)
		allow([]string{"rds:AddTagsToResource", "rds:DescribeDBInstances", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"}, []string{db}, nil)
		allow([]string{"rds:CreateDBSnapshot", "rds:AddTagsToResource"}, []string{snapshot}, nil)
		allow([]string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}, []string{arn("secretsmanager", "secret:rds!db-*")}, nil)
		slr("rds.amazonaws.com")
		why(prefixed, appliesRegex(`/^Resource::arn:.*:rds:.*:(db|snapshot):`+p+`-\*$/`))
		why("RDS names the default parameter and option groups of the engine (pg:default.<family>, og:default:<engine>-<version>) in CreateDBInstance; the engine and version come from the tenant's request.", appliesRegex(`/^Resource::arn:.*:rds:.*:(pg:default\.|og:default:)\*$/`))
		why("RDS creates the master user secret (ManageMasterUserPassword) as rds!db-<id> in the caller's name; RDS chooses the id.", appliesRegex(`/^Resource::arn:.*:secretsmanager:.*:secret:rds!db-\*$/`))

	case provision.StepFilesystem:
		// Filesystems, tagged when created; a retried create finds its
		// filesystem by creation token, which names no filesystem. Check
		// creates the mount targets once it is available, and EFS makes
		// and deletes their network interfaces in the caller's name.
		allow([]string{"elasticfilesystem:CreateFileSystem"}, []string{filesystems}, requested)
		allow([]string{"elasticfilesystem:TagResource"}, []string{filesystems}, merge(requested,
			map[string]any{"StringEquals": map[string]any{"elasticfilesystem:CreateAction": "CreateFileSystem"}}))
		allow([]string{"elasticfilesystem:DescribeFileSystems"}, []string{filesystems}, nil)
		allow([]string{"elasticfilesystem:DescribeMountTargets", "elasticfilesystem:CreateMountTarget", "elasticfilesystem:DeleteMountTarget",
			"elasticfilesystem:DeleteFileSystem"}, []string{filesystems}, managed)
		allow([]string{"ec2:CreateNetworkInterface"}, []string{enis, subnets, sgs}, inVPC)
		allow([]string{"ec2:DeleteNetworkInterface"}, []string{enis}, inVPC)
		allow([]string{"ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups"}, []string{"*"}, nil)
		slr("elasticfilesystem.amazonaws.com")
		why(tagged, appliesRegex(`/^Resource::arn:.*:(elasticfilesystem:.*:file-system\/\*|ec2:.*:(security-group|network-interface|subnet)\/\*)$/`))
		why(describe, "Resource::*")

	case provision.StepRepository:
		allow([]string{"ecr:CreateRepository", "ecr:TagResource", "ecr:DescribeRepositories", "ecr:DeleteRepository"}, []string{repos}, nil)
		why(prefixed, appliesRegex(`/^Resource::arn:.*:ecr:.*:repository\/`+p+`\/\*$/`))

	case provision.StepRuntime:
		// An environment's log group and app-secrets (prefixed names), its
		// access point to the application's filesystem (tagged), and the
		// last lines of a failed deployment's container.
		allow([]string{"logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy", "logs:DeleteLogGroup"}, []string{logGroups}, nil)
		allow([]string{"logs:DescribeLogGroups"}, []string{arn("logs", "log-group:*")}, nil)
		allow([]string{"logs:GetLogEvents"}, []string{logGroups + ":log-stream:*"}, nil)
		allow([]string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}, []string{secrets}, requested)
		allow([]string{"secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"}, []string{secrets}, nil)
		allow([]string{"elasticfilesystem:TagResource"}, []string{accessPts}, merge(requested,
			map[string]any{"StringEquals": map[string]any{"elasticfilesystem:CreateAction": "CreateAccessPoint"}}))
		allow([]string{"elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DeleteAccessPoint"}, []string{filesystems, accessPts}, managed)
		why(prefixed, appliesRegex(`/^Resource::arn:.*:(logs:.*:log-group:\/`+p+`\/\*|secretsmanager:.*:secret:`+p+`\/\*)$/`))
		why(tagged, appliesRegex(`/^Resource::arn:.*:elasticfilesystem:.*:(file-system|access-point)\/\*$/`))
		why(describe, appliesRegex(`/^Resource::arn:.*:logs:.*:log-group:\*$/`))
		why("A failed deployment's container logs to a stream ECS names after the task, in a log group under the prefix.", appliesRegex(`/^Resource::arn:.*:logs:.*:log-group:\/`+p+`\/\*:log-stream:\*$/`))
		// The environment's schedule group, whose deletion deletes its cron jobs' schedules.
		allow([]string{"scheduler:CreateScheduleGroup", "scheduler:GetScheduleGroup", "scheduler:DeleteScheduleGroup", "scheduler:TagResource"}, []string{schedGroups}, nil)
		why(prefixed, appliesRegex(`/^Resource::arn:.*:scheduler:.*:schedule-group\/`+p+`-\*$/`))

	case provision.StepNetwork:
		// A service's security group in Berth's VPC, tagged when created;
		// target groups by name; rules on Berth's listener only.
		allow([]string{"ec2:CreateSecurityGroup"}, []string{vpc}, nil)
		allow([]string{"ec2:CreateSecurityGroup"}, []string{sgs}, requested)
		allow([]string{"ec2:CreateTags"}, []string{sgs}, map[string]any{"StringEquals": map[string]any{"ec2:CreateAction": "CreateSecurityGroup"}})
		allow([]string{"ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}, []string{sgs}, managed)
		allow([]string{"ec2:DescribeSecurityGroups"}, []string{"*"}, nil)
		allow([]string{"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup"}, []string{targetGrps}, nil)
		allow([]string{"elasticloadbalancing:CreateRule"}, []string{*d.Listener.ListenerArn()}, nil)
		allow([]string{"elasticloadbalancing:AddTags"}, []string{targetGrps, rules}, map[string]any{
			"StringEquals": map[string]any{"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateRule"}}})
		allow([]string{"elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule"}, []string{rules}, managed)
		// DescribeTags tells a rule of this environment from another's.
		allow([]string{"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"}, []string{"*"}, nil)
		why(prefixed, appliesRegex(`/^Resource::arn:.*:elasticloadbalancing:.*:targetgroup\/`+p+`-\*\/\*$/`))
		why(tagged, appliesRegex(`/^Resource::arn:.*:ec2:.*:security-group\/\*$/`))
		why("Rules are created on Berth's listener; their ARNs end in an id ELB assigns, under Berth's load balancer, and changing or deleting them needs aws:ResourceTag "+cloud.ManagedTag+"=true.", appliesRegex(`/^Resource::arn:.*:elasticloadbalancing:.*:listener-rule\/.*\/\*$/`))
		why(describe, "Resource::*")

	case provision.StepService:
		// Task definitions (tagged) and services on Berth's cluster; a
		// service is scaled to 0, then deleted.
		allow([]string{"ecs:RegisterTaskDefinition"}, []string{"*"}, requested)
		allow([]string{"ecs:TagResource"}, []string{taskDefs, services}, map[string]any{
			"StringEquals": map[string]any{"ecs:CreateAction": []string{"RegisterTaskDefinition", "CreateService"}}})
		allow([]string{"ecs:CreateService"}, []string{services}, map[string]any{"ArnEquals": map[string]any{"ecs:cluster": *d.Cluster.ClusterArn()}})
		allow([]string{"ecs:DescribeServices", "ecs:UpdateService", "ecs:DeleteService"}, []string{services}, nil)
		allow([]string{"ecs:DeleteTaskDefinitions"}, []string{taskDefs}, nil)
		allow([]string{"ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"}, []string{"*"}, nil)
		passable := []string{*d.TaskExecutionRole.RoleArn(), iamRole(props.TaskRoleNames)}
		if props.DataTaskRoleARN != "" {
			// Data tasks (data-operation workflow) run with the data task role.
			passable = append(passable, props.DataTaskRoleARN)
		}
		allow([]string{"iam:PassRole"}, passable,
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}})
		// The deployment health gate reads the stopped tasks of a rollout.
		onCluster := map[string]any{"ArnEquals": map[string]any{"ecs:cluster": *d.Cluster.ClusterArn()}}
		allow([]string{"ecs:ListTasks"}, []string{"*"}, onCluster)
		allow([]string{"ecs:DescribeTasks"}, []string{tasks}, onCluster)
		// Jobs: one-off tasks of an environment's task definition on Berth's cluster.
		allow([]string{"ecs:RunTask"}, []string{taskDefs}, onCluster)
		allow([]string{"ecs:StopTask"}, []string{tasks}, onCluster)
		allow([]string{"ecs:TagResource"}, []string{tasks}, merge(onCluster, map[string]any{"StringEquals": map[string]any{"ecs:CreateAction": "RunTask"}}))
		why(prefixed, appliesRegex(`/^Resource::arn:.*:ecs:.*:(service\/.*\/`+p+`-\*|task-definition\/`+p+`-\*:\*)$/`))
		why("ecs:RegisterTaskDefinition accepts only Resource \"*\"; it is conditioned on aws:RequestTag "+cloud.ManagedTag+"=true. ecs:DeregisterTaskDefinition accepts only \"*\" (a deregistered revision stays readable, and DeleteTaskDefinitions is limited to the prefix); "+describe, "Resource::*")
		why("iam:PassRole to ECS tasks only, for the task execution role and the task roles tenants may name ("+props.TaskRoleNames+", "+CtxTaskRoleNames+").", appliesRegex(`/^Resource::arn:.*:iam::.*:role\/.*\*.*$/`))
		why("The deployment health gate describes the stopped tasks of Berth's cluster: task ARNs end in ids ECS assigns; conditioned on ecs:cluster.", appliesRegex(`/^Resource::arn:.*:ecs:.*:task\/.*\/\*$/`))

	case provision.StepScaling:
		// Application Auto Scaling: scalable targets have no name to scope
		// by; target tracking makes CloudWatch alarms named after the
		// service; registering an ECS service checks the caller may
		// describe and update it.
		allow([]string{"application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy",
			"application-autoscaling:DescribeScalableTargets", "application-autoscaling:DeregisterScalableTarget",
			"application-autoscaling:TagResource"}, []string{"*"}, nil)
		allow([]string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"}, []string{alarms}, nil)
		allow([]string{"cloudwatch:DescribeAlarms"}, []string{"*"}, nil)
		allow([]string{"ecs:DescribeServices", "ecs:UpdateService"}, []string{services}, nil)
		slr("ecs.application-autoscaling.amazonaws.com")
		why(prefixed, appliesRegex(`/^Resource::arn:.*:(ecs:.*:service\/.*\/`+p+`-\*|cloudwatch:.*:alarm:TargetTracking-service\/.*\/`+p+`-\*)$/`))
		why("Application Auto Scaling's actions accept only Resource \"*\" (targets are ECS services named under the prefix); "+describe, "Resource::*")
	}
	return out, reasons
}
