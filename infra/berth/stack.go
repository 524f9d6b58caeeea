package berth

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/store"
)

// StackProps configure the Berth stack.
type StackProps struct {
	awscdk.StackProps
	Config Config
	// Routes defaults to api.Routes(); Workflows to apps.Workflows.
	Routes    []api.Route
	Workflows []apps.Workflow
}

// Stack is everything Berth deploys.
type Stack struct {
	awscdk.Stack
	Table     awsdynamodb.Table
	API       API
	Functions map[string]*Function
	Workflows *Workflows
	DataPlane *DataPlane
	// Site publishes the API reference and the web console (make site).
	Site *Site
	// SchedulerRole is what cron jobs' schedules start run-job executions as.
	SchedulerRole awsiam.Role
	// ShellRole is what shell access credentials are issued for.
	ShellRole awsiam.Role
	// backups keeps database and filesystem backups (backups.go).
	backups awss3.Bucket
	// DataTaskRole is data tasks' task role: it writes and reads backups.
	DataTaskRole awsiam.Role
	// Dialects are the nested stacks of other dialects' routes, by name.
	Dialects []*DialectStack
}

// FollowFunctionTimeout is the timeout of Logs routes' functions: a
// ?follow=true request holds the response open up to 20 s (Server-Sent
// Events), within API Gateway's 29 s integration limit.
const FollowFunctionTimeout = 29

// AuthorizerFunction is the folder under functions/ of the API's token
// authorizer.
const AuthorizerFunction = "authorizer"

// Table permissions by kind of route. Reads use GetItem and Query; writes
// add what TransactWriteItems, UpdateItem and DeleteItem need, item by
// item. No route scans, describes or changes the table.
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	writeActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
)

// IsReadOnly tells whether a route only reads the table.
func IsReadOnly(rt api.Route) bool {
	return (rt.Method == http.MethodGet || rt.Method == http.MethodHead) && len(rt.Starts) == 0
}

// NewStack defines the Berth stack. It fails, naming what to fix, when
// the configuration is invalid, a function is not built or a workflow's
// definition is missing or names an unknown value.
func NewStack(scope constructs.Construct, id string, props *StackProps) (*Stack, error) {
	cfg := props.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	routes := props.Routes
	if routes == nil {
		routes = api.Routes()
	}
	workflows := props.Workflows
	if workflows == nil {
		workflows = apps.Workflows
	}
	if err := checkRouteIDs(routes, workflows); err != nil {
		return nil, err
	}
	stackProps := props.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("Berth: serverless control plane for container applications")
	}
	s := &Stack{Stack: awscdk.NewStack(scope, jsii.String(id), &stackProps), Functions: map[string]*Function{}}
	if cfg.VPCID != "" && (*awscdk.Token_IsUnresolved(s.Account()) || *awscdk.Token_IsUnresolved(s.Region())) {
		return nil, fmt.Errorf("%s=%s imports a VPC by lookup, which needs the stack's account and region: run with AWS credentials (cdk sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION)", CtxVPCID, cfg.VPCID)
	}
	awscdk.Tags_Of(s.Stack).Add(jsii.String("berth:stack"), jsii.String(id), nil)

	var err error
	if s.Table, err = NewTable(s.Stack, "Table"); err != nil {
		return nil, err
	}
	s.backups = backupsBucket(s.Stack, float64(cfg.BackupRetentionDays))
	s.DataPlane = NewDataPlane(s.Stack, "DataPlane", &DataPlaneProps{
		VPCID: cfg.VPCID, MaxAZs: cfg.MaxAZs, NATGateways: cfg.NATGateways,
		CertificateARN: cfg.CertificateARN, ResourcePrefix: cfg.ResourcePrefix,
		LogRetentionDays: cfg.LogRetentionDays, DefaultTaskRoleName: cfg.DefaultTaskRoleName(),
	})

	// One function per route, each with its own role; the routes of
	// other dialects in a nested stack per dialect (DialectStack).
	own, dialectRoutes, dialectNames := splitRoutes(routes)
	dialects := map[string]*DialectStack{}
	for _, name := range dialectNames {
		d, err := newDialectStack(s, name, dialectRoutes[name])
		if err != nil {
			return nil, err
		}
		dialects[name] = d
		s.Dialects = append(s.Dialects, d)
	}
	var errs []error
	fnByLogicalID := map[string]awslambda.IFunction{}
	apiFunctions := map[string]awslambda.IFunction{}
	for _, rt := range routes {
		var scope constructs.Construct = s.Stack
		if rt.Dialect != nil {
			scope = dialects[rt.Dialect.Name].NestedStack
		}
		fn, err := s.newRouteFunction(scope, rt, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.Functions[rt.Name] = fn
		apiFunctions[rt.Name] = fn.Function
		if rt.Dialect != nil {
			dialects[rt.Dialect.Name].Functions[rt.Name] = fn
			continue
		}
		fnByLogicalID[FunctionLogicalID(rt.Name)] = fn.Function
	}
	// The token authorizer reads a token and records when it was last used.
	authFn, err := NewFunction(s.Stack, "Authorizer", &FunctionProps{
		Name:             AuthorizerFunction,
		CodeDir:          cfg.CodeDir,
		Environment:      map[string]*string{boot.EnvTableName: s.Table.TableName()},
		MemoryMB:         cfg.FunctionMemoryMB,
		LogRetentionDays: cfg.LogRetentionDays,
		Description:      "Berth API token authorizer",
	})
	if err != nil {
		errs = append(errs, err)
	} else {
		authFn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:UpdateItem"),
			Resources: jsii.Strings(*s.Table.TableArn()),
		}))
		s.Functions[AuthorizerFunction] = authFn
	}
	// The workflows' step functions, each with its own role.
	s.DataTaskRole = newDataTaskRole(s.Stack, s.backups, cfg.DataTaskRoleName())
	steps, err := NewStepFunctions(s.Stack, &StepFunctionsProps{Config: cfg, Table: s.Table, DataPlane: s.DataPlane, DataTaskRole: s.DataTaskRole})
	if err != nil {
		errs = append(errs, err)
	}
	for name, fn := range steps {
		s.Functions[name] = fn
		fnByLogicalID[FunctionLogicalID(name)] = fn.Function
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	d := s.DataPlane
	values := map[string]*string{
		"ResourcePrefix":            jsii.String(cfg.ResourcePrefix),
		"TableName":                 s.Table.TableName(),
		"TableArn":                  s.Table.TableArn(),
		"ClusterName":               d.Cluster.ClusterName(),
		"ClusterArn":                d.Cluster.ClusterArn(),
		"VpcId":                     d.VPC.VpcId(),
		"TaskSubnetIds":             awscdk.Fn_Join(jsii.String(","), d.TaskSubnets.SubnetIds),
		"TaskSecurityGroupId":       d.TaskSecurityGroup.SecurityGroupId(),
		"DatabaseSecurityGroupId":   d.DatabaseSecurityGroup.SecurityGroupId(),
		"FilesystemSecurityGroupId": d.FilesystemSecurityGroup.SecurityGroupId(),
		"DatabaseSubnetGroupName":   d.DatabaseSubnetGroup.SubnetGroupName(),
		"LoadBalancerArn":           d.LoadBalancer.LoadBalancerArn(),
		"LoadBalancerDnsName":       d.LoadBalancer.LoadBalancerDnsName(),
		"ListenerArn":               d.Listener.ListenerArn(),
		"TaskExecutionRoleArn":      d.TaskExecutionRole.RoleArn(),
	}
	if cfg.PlatformDomain != "" {
		values["PlatformDomain"] = jsii.String(cfg.PlatformDomain)
	}
	s.Workflows, err = NewWorkflows(s.Stack, "Workflows", &WorkflowsProps{
		Dir: cfg.StateMachinesDir, Workflows: workflows, Values: values,
		Functions: fnByLogicalID, LogRetentionDays: cfg.LogRetentionDays,
	})
	if err != nil {
		return nil, err
	}

	// The reconciler, on its schedule.
	reconciler, err := NewReconciler(s.Stack, &ReconcilerProps{Config: cfg, Table: s.Table, DataPlane: d, StateMachines: s.Workflows.StateMachines})
	if err != nil {
		return nil, err
	}
	s.Functions[ReconcileFunction] = reconciler

	s.API, err = NewAPI(s.Stack, "Api", &APIProps{
		Routes: own, Functions: apiFunctions, Authorizer: authFn.Function,
		StageName: cfg.APIStageName, ThrottleRate: cfg.APIThrottleRate, ThrottleBurst: cfg.APIThrottleBurst,
		TokenThrottleRate: cfg.TokenThrottleRate, TokenThrottleBurst: cfg.TokenThrottleBurst,
		UsagePlanName:    UsagePlanName(cfg.StackName),
		LogRetentionDays: cfg.LogRetentionDays,
		SharedPaths:      sharedPaths(own, dialectRoutes),
	})
	if err != nil {
		return nil, err
	}
	for _, ds := range s.Dialects {
		if err := ds.addMethods(s.API, sharedPaths(own, dialectRoutes), apiFunctions); err != nil {
			return nil, err
		}
		NewFunctionAlarms(ds.NestedStack, "Alarms", ds.Functions, cfg.AlarmTopicARN)
	}
	deployWithDialects(s.API, s.Dialects)
	for _, rt := range routes {
		if err := s.grantRoute(rt, s.Functions[rt.Name], cfg); err != nil {
			return nil, err
		}
	}
	// The main stack's alarms watch its own functions; each dialect's
	// nested stack watches its own.
	ownFunctions := maps.Clone(s.Functions)
	for _, ds := range s.Dialects {
		for name := range ds.Functions {
			delete(ownFunctions, name)
		}
	}
	NewAlarms(s.Stack, "Alarms", &AlarmsProps{API: s.API.RestAPI, Functions: ownFunctions, Workflows: s.Workflows, TopicARN: cfg.AlarmTopicARN})

	output := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("ApiUrl", s.API.RestAPI.Url(), "Base URL of the Berth API; paths start with api/v3/organizations/")
	output("TableName", s.Table.TableName(), "Berth's DynamoDB table (retained when the stack is destroyed)")
	output("UsagePlanName", jsii.String(UsagePlanName(cfg.StackName)), "The usage plan that holds each API token's key (berth-token -usage-plan)")
	for _, w := range workflows {
		output(pascal(string(w))+"StateMachineArn", s.Workflows.StateMachines[w].StateMachineArn(), "State machine of the "+string(w)+" workflow")
	}
	s.Site = NewSite(s.Stack, "Site", &SiteProps{API: s.API.RestAPI})
	output("SiteBucketName", s.Site.Bucket.BucketName(), "The bucket make deploy-site copies bin/site (the API reference and the web console) into")
	output("SiteUrl", jsii.String("https://"+*s.Site.Distribution.DistributionDomainName()+"/"), "The web console (/console/index.html) and API reference (/docs/index.html), with the API at /api/ on the same origin")
	output("SiteDistributionId", s.Site.Distribution.DistributionId(), "The site's CloudFront distribution, which make deploy-site invalidates")
	output("LoadBalancerDnsName", d.LoadBalancer.LoadBalancerDnsName(), "Shared ALB tenants' hosts point at")
	output("ClusterName", d.Cluster.ClusterName(), "ECS cluster tenants' services run in")
	output("BackupsBucketName", s.backups.BucketName(), "S3 bucket of database and filesystem backups (retained when the stack is destroyed)")
	return s, nil
}

// newRouteFunction defines a route's function in scope (the main stack,
// or its dialect's nested stack), with the table's name and its grant on
// the table, and the backups bucket's name for backups routes.
func (s *Stack) newRouteFunction(scope constructs.Construct, rt api.Route, cfg Config) (*Function, error) {
	// A stateless route (validate-compose) reads no table: it gets
	// neither its name nor a grant, only its log group.
	env := map[string]*string{}
	if !rt.Stateless {
		env[boot.EnvTableName] = s.Table.TableName()
	}
	if rt.Backups {
		env[boot.EnvBackupsBucket] = s.backups.BucketName()
	}
	timeout := 0 // FunctionTimeout
	if rt.Logs {
		timeout = FollowFunctionTimeout
	}
	fn, err := NewFunction(scope, pascal(rt.Name), &FunctionProps{
		Name:             rt.Name,
		CodeDir:          cfg.CodeDir,
		Environment:      env,
		MemoryMB:         cfg.FunctionMemoryMB,
		TimeoutSeconds:   timeout,
		LogRetentionDays: cfg.LogRetentionDays,
		Description:      "Berth " + rt.Method + " " + rt.Pattern,
	})
	if err != nil {
		return nil, err
	}
	if !rt.Stateless {
		grantTable(fn, s.Table, IsReadOnly(rt))
	}
	return fn, nil
}

// grantRoute gives a route's function, in the main stack or a dialect's
// nested stack, what its route needs beyond the table: the state machines
// it starts (their ARNs, and StartExecution on them only), and what its
// flags ask for. Token routes give each token its API key in the usage
// plan; registry routes get registry logins from ECR; scaling routes keep
// tenants' scaling policies in Application Auto Scaling; logs, metrics
// and shell routes read tenants' logs and metrics and issue ECS Exec
// credentials; secrets routes keep environments' secret variables;
// volume routes make EFS access points; artefact routes read or delete
// backups. ARNs are formatted in the function's own stack; roles shared
// by routes (the scheduler role) are the main stack's.
func (s *Stack) grantRoute(rt api.Route, fn *Function, cfg Config) error {
	stack := awscdk.Stack_Of(fn.Function)
	d := s.DataPlane
	for _, w := range rt.Starts {
		sm, ok := s.Workflows.StateMachines[w]
		if !ok {
			return fmt.Errorf("route %s starts workflow %s, which has no state machine", rt.Name, w)
		}
		fn.Function.AddEnvironment(jsii.String(boot.StateMachineEnv(w)), sm.StateMachineArn(), nil)
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("states:StartExecution"), Resources: jsii.Strings(*sm.StateMachineArn()),
		}))
	}
	if rt.UsageKeys {
		grantUsageKeys(stack, fn, UsagePlanName(cfg.StackName))
	}
	if rt.Registry {
		grantRegistryLogin(fn)
	}
	if rt.Scaling {
		grantScaling(stack, fn, rt.Method, d, cfg.ResourcePrefix)
	}
	if rt.Schedules {
		if s.SchedulerRole == nil {
			s.SchedulerRole = newSchedulerRole(s.Stack, s.Workflows.StateMachines[apps.RunJob])
		}
		grantSchedules(stack, fn, s.SchedulerRole, s.Workflows.StateMachines[apps.RunJob], cfg.ResourcePrefix)
	}
	if rt.Logs {
		grantLogs(stack, fn, cfg.ResourcePrefix)
	}
	if rt.Metrics {
		grantMetrics(fn, d)
	}
	if rt.Shell {
		if s.ShellRole != nil {
			return fmt.Errorf("route %s issues shell access, and so does another: the shell role trusts one function", rt.Name)
		}
		// The shell role trusts the function's role: it is made in the
		// function's stack, or the stacks would reference each other.
		s.ShellRole = grantShell(stack, fn, d, cfg.ShellRoleName())
	}
	if rt.Secrets {
		grantSecrets(stack, fn, rt.Method, cfg.ResourcePrefix)
	}
	if rt.Volumes {
		grantVolumes(stack, fn, rt.Method)
	}
	if rt.Artefacts {
		grantArtefacts(fn, s.backups, rt.Method)
	}
	return nil
}

// grantTable lets a role read, or read and write, the table and its index.
func grantTable(fn *Function, table awsdynamodb.Table, readOnly bool) {
	actions := slices.Clone(readActions)
	if !readOnly {
		actions = append(actions, writeActions...)
	}
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(actions...),
		Resources: jsii.Strings(
			*table.TableArn(),
			*table.TableArn()+"/index/"+store.IndexByOrganisation,
		),
	}))
}

// grantUsageKeys lets a token route find the usage plan by name, create,
// find and delete API keys, and add them to a plan. Neither the plan's id
// nor its ARN can be used here: the plan depends on the API stage, which
// depends on these functions.
func grantUsageKeys(stack awscdk.Stack, fn *Function, planName string) {
	fn.Function.AddEnvironment(jsii.String(boot.EnvUsagePlan), jsii.String(planName), nil)
	arn := func(path string) string {
		return fmt.Sprintf("arn:%s:apigateway:%s::%s", *stack.Partition(), *stack.Region(), path)
	}
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("apigateway:GET"),
		Resources: jsii.Strings(arn("/usageplans"), arn("/apikeys")),
	}))
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("apigateway:POST"),
		Resources: jsii.Strings(arn("/apikeys"), arn("/usageplans/*/keys")),
	}))
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("apigateway:DELETE"),
		Resources: jsii.Strings(arn("/apikeys/*")),
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "API key ids are made by API Gateway when a token is created, and the usage plan's id cannot be named without a dependency cycle (plan -> stage -> methods -> this function), so key deletes and plan keys take a wildcard id; API Gateway has no tag conditions for these.",
		appliesRegex(`/^Resource::arn:.*:apigateway:.*::\/(apikeys|usageplans)\/\*.*$/`))
}

// newSchedulerRole is the role EventBridge Scheduler assumes to start a
// cron job's run-job execution, from this account's schedules only.
func newSchedulerRole(stack awscdk.Stack, runJob awsstepfunctions.StateMachine) awsiam.Role {
	// What runJob.GrantStartExecution grants, in an inline policy rather
	// than a policy beside the role.
	return awsiam.NewRole(stack, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler starts Berth's run-job workflow for cron jobs"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{InlinePolicyName: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("states:StartExecution"), Resources: jsii.Strings(*runJob.StateMachineArn()),
			})},
		})},
	})
}

// grantSchedules lets a cron route keep schedules in environments'
// schedule groups (named under the prefix), pass the scheduler role, and
// name the run-job state machine as their target.
func grantSchedules(stack awscdk.Stack, fn *Function, schedulerRole awsiam.Role, runJob awsstepfunctions.StateMachine, prefix string) {
	fn.Function.AddEnvironment(jsii.String(boot.StateMachineEnv(apps.RunJob)), runJob.StateMachineArn(), nil)
	fn.Function.AddEnvironment(jsii.String(boot.EnvSchedulerRoleARN), schedulerRole.RoleArn(), nil)
	schedules := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("scheduler"), Resource: jsii.String("schedule/" + prefix + "-*/*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"),
		Resources: jsii.Strings(schedules),
	}))
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:PassRole"),
		Resources:  jsii.Strings(*schedulerRole.RoleArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}},
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "Schedules live in each environment's schedule group, named under the "+prefix+" prefix; the wildcards are the environment's part of the group name and the cron job's name.",
		appliesRegex(`/^Resource::arn:.*:scheduler:.*:schedule\/`+prefix+`-\*\/\*$/`))
}

// grantRegistryLogin lets a route ask ECR for an authorization token, and
// nothing else in ECR: the token carries this role's permissions.
func grantRegistryLogin(fn *Function) {
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
		Resources: jsii.Strings("*"),
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken accepts only Resource \"*\"; the role has no other ECR action.", "Resource::*")
}

// grantScaling gives a scaling route the cluster and listener it needs
// (boot reads them) and what its method calls: DescribeScalingPolicies
// always; PutScalingPolicy (upsert) and DeleteScalingPolicy (upsert, which
// deletes a replaced policy, and delete) with the CloudWatch alarms that
// target tracking makes and removes in the caller's name, named
// TargetTracking-service/<cluster>/<service>-..., services being under the prefix.
func grantScaling(stack awscdk.Stack, fn *Function, method string, d *DataPlane, prefix string) {
	fn.Function.AddEnvironment(jsii.String(boot.EnvClusterARN), d.Cluster.ClusterArn(), nil)
	fn.Function.AddEnvironment(jsii.String(boot.EnvListenerARN), d.Listener.ListenerArn(), nil)
	actions := []string{"application-autoscaling:DescribeScalingPolicies"}
	var alarmActions []string
	switch method {
	case http.MethodPut:
		actions = append(actions, "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy")
		alarmActions = []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"}
	case http.MethodDelete:
		actions = append(actions, "application-autoscaling:DeleteScalingPolicy")
		alarmActions = []string{"cloudwatch:DeleteAlarms"}
	}
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: jsii.Strings("*")}))
	reason := "application-autoscaling:DescribeScalingPolicies, PutScalingPolicy and DeleteScalingPolicy accept only Resource \"*\"; the function names the resource service/<Berth's cluster>/<service> itself"
	if len(alarmActions) > 0 {
		alarms := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"),
			Resource: jsii.String("alarm:TargetTracking-service/" + *d.Cluster.ClusterName() + "/" + prefix + "-*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(alarmActions...), Resources: jsii.Strings(alarms)}))
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings("*")}))
		reason += "; cloudwatch:DescribeAlarms accepts only \"*\" and reads, never changes"
		suppress(fn.Role, "AwsSolutions-IAM5", "Target tracking's alarms are named by Application Auto Scaling TargetTracking-service/<cluster>/<service>-AlarmHigh-<uuid>; tenants' services are under the "+prefix+" prefix, so the wildcard is the rest of the name.",
			appliesRegex(`/^Resource::arn:.*:cloudwatch:.*:alarm:TargetTracking-service\/.*\/`+prefix+`-\*$/`))
	}
	suppress(fn.Role, "AwsSolutions-IAM5", reason+".", "Resource::*")
}

// grantLogs lets a logs route read tenants' log groups, /<prefix>/...
func grantLogs(stack awscdk.Stack, fn *Function, prefix string) {
	groups := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("log-group:/" + prefix + "/*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:FilterLogEvents"), Resources: jsii.Strings(groups),
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "Tenants' log groups are created at run time as /"+prefix+"/<organisation>/<application>/<environment>-<uid>; the wildcard is the rest of the name, and the function reads the one its environment record names.",
		appliesRegex(`/^Resource::arn:.*:logs:.*:log-group:\/`+prefix+`\/\*$/`))
}

// grantMetrics lets a metrics route read CloudWatch metrics, and gives it
// the listener, whose load balancer names the request count dimension.
func grantMetrics(fn *Function, d *DataPlane) {
	fn.Function.AddEnvironment(jsii.String(boot.EnvListenerARN), d.Listener.ListenerArn(), nil)
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudwatch:GetMetricData"), Resources: jsii.Strings("*"),
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "cloudwatch:GetMetricData accepts only Resource \"*\" (metrics have no ARNs); it reads, never changes, and the function asks for its environment's ECS service and target group only.", "Resource::*")
}

// grantShell makes the shell role, which trusts only this function's role,
// and lets the function assume it and list the tasks of Berth's cluster.
// The role's name is fixed (not a reference), so that the function's
// policy can name it while the role's trust policy names the function's
// role: references both ways would be a dependency cycle.
func grantShell(stack awscdk.Stack, fn *Function, d *DataPlane, name string) awsiam.Role {
	role := newShellRole(stack, fn.Role, d, name)
	fn.Function.AddEnvironment(jsii.String(boot.EnvShellRoleARN), role.RoleArn(), nil)
	roleARN := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("iam"), Region: jsii.String(""),
		Resource: jsii.String("role/" + name), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("sts:AssumeRole"), Resources: jsii.Strings(roleARN),
	}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecs:ListTasks"), Resources: jsii.Strings("*"),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"ecs:cluster": *d.Cluster.ClusterArn()}},
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "ecs:ListTasks takes Resource \"*\"; it is conditioned on ecs:cluster being Berth's cluster.", "Resource::*")
	return role
}

// newShellRole is the role shell access credentials are issued for,
// trusted by the shell function's role only, for sessions of at most an
// hour: ECS Exec into tenants' tasks (tagged berth:managed=true) on
// Berth's cluster, and finding them. Each session's policy
// (shared/shell.SessionPolicy) narrows it to one environment's tasks.
func newShellRole(stack awscdk.Stack, trusted awsiam.IRole, d *DataPlane, name string) awsiam.Role {
	cluster := *d.Cluster.ClusterArn()
	tasks := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecs"), Resource: jsii.String("task/" + *d.Cluster.ClusterName() + "/*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	onCluster := map[string]any{"ArnEquals": map[string]any{"ecs:cluster": cluster}}
	doc := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("ecs:ExecuteCommand"), Resources: jsii.Strings(cluster)}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("ecs:ExecuteCommand"), Resources: jsii.Strings(tasks),
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + cloud.ManagedTag: "true"}}}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("ecs:DescribeTasks"), Resources: jsii.Strings(tasks), Conditions: &onCluster}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("ecs:ListTasks"), Resources: jsii.Strings("*"), Conditions: &onCluster}),
	}})
	role := awsiam.NewRole(stack, jsii.String("ShellRole"), &awsiam.RoleProps{
		RoleName:           jsii.String(name),
		Description:        jsii.String("Berth shell access: ECS Exec into tenants' tasks; each session's policy narrows it to one environment"),
		AssumedBy:          awsiam.NewArnPrincipal(trusted.RoleArn()),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		InlinePolicies:     &map[string]awsiam.PolicyDocument{"Berth": doc},
	})
	suppress(role, "AwsSolutions-IAM5", "Task ARNs end in ids ECS assigns: ecs:ExecuteCommand on Berth's cluster's tasks is conditioned on aws:ResourceTag "+cloud.ManagedTag+"=true, DescribeTasks and ListTasks (which takes only \"*\") on ecs:cluster.",
		"Resource::*", appliesRegex(`/^Resource::arn:.*:ecs:.*:task\/.*\/\*$/`))
	return role
}

// grantSecrets lets a secrets route keep environments' secret variables,
// named <prefix>/<organisation>/<application>/<environment>-<uid>/vars/<NAME>
// (cloud.Names.VariableSecret): PUT creates one (tagged berth:managed, as
// every tenant resource) or writes a version of it, restoring it when it
// is scheduled for deletion, and deletes one it created for a refused
// change; DELETE schedules its deletion.
func grantSecrets(stack awscdk.Stack, fn *Function, method string, prefix string) {
	secrets := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("secretsmanager"), Resource: jsii.String("secret:" + prefix + "/*/vars/*"), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	if method == http.MethodPut {
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:CreateSecret", "secretsmanager:TagResource"), Resources: jsii.Strings(secrets),
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:RequestTag/" + cloud.ManagedTag: "true"}},
		}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret", "secretsmanager:DeleteSecret"), Resources: jsii.Strings(secrets),
		}))
	} else {
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:DeleteSecret"), Resources: jsii.Strings(secrets),
		}))
	}
	suppress(fn.Role, "AwsSolutions-IAM5", "Secret variables are created at run time as "+prefix+"/<organisation>/<application>/<environment>-<uid>/vars/<NAME>, and Secrets Manager appends a random suffix to their ARNs; the wildcards are those parts.",
		appliesRegex(`/^Resource::arn:.*:secretsmanager:.*:secret:`+prefix+`\/\*\/vars\/\*$/`))
}

// grantVolumes lets a volume route create (POST) or delete (DELETE) EFS
// access points of Berth's filesystems, as the runtime step does for an
// environment's own: only on filesystems and access points tagged
// berth:managed, and each new one tagged so when it is made.
func grantVolumes(stack awscdk.Stack, fn *Function, method string) {
	arn := func(resource string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("elasticfilesystem"), Resource: jsii.String(resource), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	}
	filesystems, accessPoints := arn("file-system/*"), arn("access-point/*")
	managed := &map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + cloud.ManagedTag: "true"}}
	if method == http.MethodPost {
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("elasticfilesystem:TagResource"), Resources: jsii.Strings(accessPoints),
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:RequestTag/" + cloud.ManagedTag: "true", "elasticfilesystem:CreateAction": "CreateAccessPoint"}},
		}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// DescribeAccessPoints finds the one an earlier try made, by its client token.
			Actions: jsii.Strings("elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DescribeAccessPoints"), Resources: jsii.Strings(filesystems), Conditions: managed,
		}))
	}
	// A create deletes the access point it made for a volume it could not record.
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("elasticfilesystem:DeleteAccessPoint"), Resources: jsii.Strings(accessPoints), Conditions: managed,
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "Berth's filesystems and access points are made at run time with ids EFS chooses; every statement is limited to those tagged "+cloud.ManagedTag+"=true.",
		appliesRegex(`/^Resource::arn:.*:elasticfilesystem:.*:(file-system|access-point)\/\*$/`))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
