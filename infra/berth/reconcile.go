package berth

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/reconcileboot"
)

// ReconcileFunction is the folder under functions/ of the reconciler.
const ReconcileFunction = "reconcile"

// ReconcileEveryMinutes is the reconciler's schedule.
const ReconcileEveryMinutes = 15

// ReconcileTimeout bounds one run: a Scan of the records, the Tagging API's
// pages, a Check per recorded resource of each ACTIVE record and a few deletes.
const ReconcileTimeout = 300

// ReconcilerProps configure the reconciler.
type ReconcilerProps struct {
	Config        Config
	Table         awsdynamodb.Table
	DataPlane     *DataPlane
	StateMachines map[apps.Workflow]awsstepfunctions.StateMachine
}

// NewReconciler defines the reconcile function and the EventBridge rule
// that runs it every ReconcileEveryMinutes: three resources for the
// function (its role, log group and itself), the rule and the rule's
// permission to invoke it. Its role may read and write the table (and
// Scan it: the reconciler reads every record), list tagged resources,
// check and delete each kind as teardown does (the cloud steps' grants,
// kept to their Describe, Get, List, Delete and Deregister actions, and
// what a delete needs first: a database's final snapshot, a service
// scaled to 0), and start and describe executions of the provisioning
// and teardown workflows.
func NewReconciler(scope constructs.Construct, props *ReconcilerProps) (*Function, error) {
	cfg := props.Config
	env := StepEnvironment(scope, &StepFunctionsProps{Config: cfg, Table: props.Table, DataPlane: props.DataPlane})
	fn, err := NewFunction(scope, "Reconcile", &FunctionProps{
		Name: ReconcileFunction, CodeDir: cfg.CodeDir, Environment: env, MemoryMB: StepFunctionMemoryMB,
		TimeoutSeconds: ReconcileTimeout, LogRetentionDays: cfg.LogRetentionDays,
		Description: "Berth reconciler: orphans, vanished resources, dead workflows",
	})
	if err != nil {
		return nil, err
	}
	grantTable(fn, props.Table, false)
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("dynamodb:Scan"), Resources: jsii.Strings(*props.Table.TableArn()),
	}))
	fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("tag:GetResources"), Resources: jsii.Strings("*"),
	}))
	suppress(fn.Role, "AwsSolutions-IAM5", "tag:GetResources accepts only Resource \"*\"; the reconciler filters on "+
		"berth:managed=true and only reads.", "Resource::*")
	for _, step := range provision.StepNames {
		statements, reasons := StepPolicy(scope, step, &StepPolicyProps{
			ResourcePrefix: cfg.ResourcePrefix, TaskRoleNames: cfg.TaskRoleNamePattern(), DataPlane: props.DataPlane,
		})
		for _, st := range statements {
			if kept := teardownOnly(st); kept != nil {
				fn.Allow(kept)
			}
		}
		for _, r := range reasons {
			suppress(fn.Role, "AwsSolutions-IAM5", r.reason, r.appliesTo...)
		}
	}
	stack := awscdk.Stack_Of(scope)
	for _, w := range reconcileboot.Workflows {
		sm := props.StateMachines[w]
		fn.Function.AddEnvironment(jsii.String(boot.StateMachineEnv(w)), sm.StateMachineArn(), nil)
		fn.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("states:StartExecution"), Resources: jsii.Strings(*sm.StateMachineArn()),
		}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("states:DescribeExecution"),
			Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("states"), Resource: jsii.String("execution"),
				ResourceName: jsii.String(*sm.StateMachineName() + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})),
		}))
	}
	suppress(fn.Role, "AwsSolutions-IAM5", "states:DescribeExecution on the executions of the provisioning and teardown state machines: "+
		"execution names are per record.", appliesRegex(`/^Resource::arn:.*:states:.*:execution:.*:\*$/`))
	awsevents.NewRule(scope, jsii.String("ReconcileSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Berth reconciler, every 15 minutes"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(ReconcileEveryMinutes))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Function, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(map[string]any{"dryRun": false}),
		})},
	})
	return fn, nil
}

// teardownOnly keeps of a cloud step's statement the actions teardown
// and Check make: reads, deletes, deregistrations, a database's final
// snapshot and a service's scaling to 0. nil when none is left.
func teardownOnly(st awsiam.PolicyStatement) awsiam.PolicyStatement {
	var actions []string
	for _, a := range *st.Actions() {
		_, verb, _ := strings.Cut(*a, ":")
		switch {
		case strings.HasPrefix(verb, "Describe"), strings.HasPrefix(verb, "Get"), strings.HasPrefix(verb, "List"),
			strings.HasPrefix(verb, "Delete"), strings.HasPrefix(verb, "Deregister"),
			*a == "rds:CreateDBSnapshot", *a == "rds:AddTagsToResource", *a == "ecs:UpdateService":
			actions = append(actions, *a)
		}
	}
	if len(actions) == 0 {
		return nil
	}
	props := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: st.Resources()}
	if c, ok := st.Conditions().(map[string]any); ok && len(c) > 0 {
		props.Conditions = &c
	}
	return awsiam.NewPolicyStatement(props)
}
