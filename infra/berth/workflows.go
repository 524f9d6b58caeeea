package berth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/apps"
)

// WorkflowsProps configure the state machines.
type WorkflowsProps struct {
	// Dir holds <workflow>.asl.json for every workflow.
	Dir       string
	Workflows []apps.Workflow
	// Values are the platform values a definition may name as ${Key}.
	Values map[string]*string
	// Functions may be named as ${<LogicalId>Arn}, e.g.
	// ${CreateApplicationFunctionArn}: the key is the function's logical id.
	// A state machine may invoke exactly the functions its definition names.
	Functions        map[string]awslambda.IFunction
	LogRetentionDays int
}

// Workflows holds one state machine per workflow.
type Workflows struct {
	constructs.Construct
	StateMachines map[apps.Workflow]awsstepfunctions.StateMachine
}

// placeholder matches a DefinitionSubstitutions key in a definition.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_]*)\}`)

// FunctionSubstitution is the key a definition uses for a function's ARN.
func FunctionSubstitution(logicalID string) string { return logicalID + "Arn" }

// StateMachineLogicalID is the logical id of a workflow's state machine,
// e.g. ProvisionApplicationStateMachine.
func StateMachineLogicalID(w apps.Workflow) string { return pascal(string(w)) + "StateMachine" }

// NewWorkflows loads every workflow's definition from Dir and defines its
// state machine, with logging level ALL and X-Ray tracing. The definition
// goes into the template with its ${Placeholders} intact and
// DefinitionSubstitutions beside it, so a diff shows workflow changes. It
// fails when a file is missing, is not a state machine definition, or names
// a placeholder that has no value.
func NewWorkflows(scope constructs.Construct, id string, props *WorkflowsProps) (*Workflows, error) {
	defs := map[apps.Workflow]string{}
	var errs []error
	for _, w := range props.Workflows {
		def, err := readDefinition(props.Dir, w)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs[w] = def
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	wf := &Workflows{Construct: c, StateMachines: map[apps.Workflow]awsstepfunctions.StateMachine{}}
	stackName := *awscdk.Stack_Of(scope).StackName()
	for _, w := range props.Workflows {
		subs, invoked, err := substitutions(w, defs[w], props)
		if err != nil {
			return nil, err
		}
		name := pascal(string(w))
		logs := awslogs.NewLogGroup(c, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
			// Step Functions logs through CloudWatch vended logs; this prefix
			// keeps the account's log resource policy from growing per group.
			LogGroupName:  jsii.String("/aws/vendedlogs/states/" + stackName + "-" + string(w)),
			Retention:     retention(props.LogRetentionDays),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		sm := awsstepfunctions.NewStateMachine(c, jsii.String(name), &awsstepfunctions.StateMachineProps{
			Comment:                 jsii.String("Berth " + string(w)),
			DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(defs[w])),
			DefinitionSubstitutions: &subs,
			StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
			TracingEnabled:          jsii.Bool(true),
			Logs: &awsstepfunctions.LogOptions{
				Destination:          logs,
				Level:                awsstepfunctions.LogLevel_ALL,
				IncludeExecutionData: jsii.Bool(true),
			},
		})
		sm.Node().DefaultChild().(awsstepfunctions.CfnStateMachine).OverrideLogicalId(jsii.String(StateMachineLogicalID(w)))
		for _, fn := range invoked {
			fn.GrantInvoke(sm.Role())
		}
		suppress(sm.Role(), "AwsSolutions-IAM5", "Step Functions' log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments) accept only Resource \"*\"; CDK adds these for logging level ALL and tracing.", "Resource::*")
		if len(invoked) > 0 {
			// GrantInvoke covers the function's versions and aliases too.
			suppress(sm.Role(), "AwsSolutions-IAM5", "lambda:InvokeFunction on <function ARN>:* lets the workflow call a version or alias of a function its definition names, and nothing else.", appliesRegex(`/^Resource::<[A-Za-z0-9]+Function\.Arn>:\*$/`))
		}
		// Logging, tracing and GrantInvoke put these statements in a
		// policy beside the role; they go in the role itself.
		inlineDefaultPolicy(sm.Role())
		wf.StateMachines[w] = sm
	}
	return wf, nil
}

// readDefinition reads a workflow's ASL and checks that it is a JSON
// object with StartAt and States.
func readDefinition(dir string, w apps.Workflow) (string, error) {
	path := filepath.Join(dir, string(w)+".asl.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("workflow %s: %s does not exist; every workflow in shared/apps.Workflows needs its <workflow>.asl.json (set %s if they live elsewhere)", w, path, CtxStateMachinesDir)
	}
	if err != nil {
		return "", fmt.Errorf("workflow %s: %w", w, err)
	}
	var asl struct {
		StartAt string                     `json:"StartAt"`
		States  map[string]json.RawMessage `json:"States"`
	}
	if err := json.Unmarshal(raw, &asl); err != nil {
		return "", fmt.Errorf("workflow %s: %s is not valid JSON: %w", w, path, err)
	}
	if asl.StartAt == "" || len(asl.States) == 0 {
		return "", fmt.Errorf("workflow %s: %s needs StartAt and States", w, path)
	}
	if _, ok := asl.States[asl.StartAt]; !ok {
		return "", fmt.Errorf("workflow %s: %s starts at %q, which is not a state", w, path, asl.StartAt)
	}
	return string(raw), nil
}

// substitutions picks the values a definition names, and the functions it
// invokes. A name with no value fails, listing the names there are.
func substitutions(w apps.Workflow, def string, props *WorkflowsProps) (map[string]*string, []awslambda.IFunction, error) {
	byKey := map[string]awslambda.IFunction{}
	for logicalID, fn := range props.Functions {
		byKey[FunctionSubstitution(logicalID)] = fn
	}
	subs := map[string]*string{}
	var invoked []awslambda.IFunction
	var unknown []string
	for _, m := range placeholder.FindAllStringSubmatch(def, -1) {
		key := m[1]
		if _, done := subs[key]; done {
			continue
		}
		if v, ok := props.Values[key]; ok {
			subs[key] = v
			continue
		}
		if fn, ok := byKey[key]; ok {
			subs[key] = fn.FunctionArn()
			invoked = append(invoked, fn)
			continue
		}
		if !slices.Contains(unknown, key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		var known []string
		for k := range props.Values {
			known = append(known, k)
		}
		for k := range byKey {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, nil, fmt.Errorf("workflow %s: its definition names ${%s}, which has no value; known: %s",
			w, strings.Join(unknown, "}, ${"), strings.Join(known, ", "))
	}
	return subs, invoked, nil
}
