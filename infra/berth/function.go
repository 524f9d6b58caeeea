package berth

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DefaultFunctionMemoryMB is every function's memory unless context says
// otherwise. The Go binaries use 20 to 40 MB, so 128 MB would hold them,
// but Lambda gives CPU in proportion to memory: at 256 MB a cold start
// (TLS to DynamoDB, JSON decoding of a compose definition) takes about half
// as long as at 128 MB, for a price per request that stays within a few
// percent, because the shorter duration pays for most of the doubling.
const DefaultFunctionMemoryMB = 256

// FunctionTimeout bounds one invocation. API Gateway gives up after 29 s;
// the handlers make at most a few DynamoDB calls and one StartExecution, so
// 10 s is ample and stops a stuck call from holding a concurrency slot.
const FunctionTimeout = 10

// FunctionProps configure one Go function.
type FunctionProps struct {
	// Name is the function's folder under functions/ and under CodeDir.
	Name string
	// CodeDir holds Name/bootstrap, built by `make build`.
	CodeDir string
	// Environment is set on the function.
	Environment map[string]*string
	MemoryMB    int
	// TimeoutSeconds bounds one invocation; 0 is FunctionTimeout.
	TimeoutSeconds int
	// LogRetentionDays is one of the values CloudWatch Logs accepts.
	LogRetentionDays int
	Description      string
}

// Function is a Go Lambda on provided.al2023 and arm64, with its own log
// group and its own role, which starts with no permissions but writing to
// that log group (and X-Ray, for tracing). Callers grant the rest with Allow.
//
// The role's permissions are one inline policy, not an AWS::IAM::Policy
// beside it: a resource fewer per function, out of a template's 500. The
// function is given an immutable view of its role, so CDK's own grants
// cannot add that separate policy behind Allow's back.
type Function struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	Policy   awsiam.PolicyDocument
	LogGroup awslogs.LogGroup
}

// Allow adds statements to the function role's inline policy.
func (f *Function) Allow(statements ...awsiam.PolicyStatement) {
	f.Policy.AddStatements(statements...)
}

// NewFunction defines the function. Its CloudFormation logical id is
// <Pascal name>Function (create-application -> CreateApplicationFunction),
// fixed so that `sam local invoke` commands and docs stay true.
func NewFunction(scope constructs.Construct, id string, props *FunctionProps) (*Function, error) {
	dir := filepath.Join(props.CodeDir, props.Name)
	info, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("function %s: %s is not an executable bootstrap: run `make build` first", props.Name, filepath.Join(dir, "bootstrap"))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	f := &Function{Construct: c}
	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retention(props.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	f.Policy = awsiam.NewPolicyDocument(nil)
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("Berth " + props.Name + " function"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"Berth": f.Policy},
	})
	// What AWSLambdaBasicExecutionRole grants, scoped to this log group,
	// and what tracing needs (X-Ray has no resource-level permissions).
	f.Allow(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*f.LogGroup.LogGroupArn()),
	}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
		Resources: jsii.Strings("*"),
	}))
	role := awsiam.Role_FromRoleArn(c, jsii.String("RoleView"), f.Role.RoleArn(), &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
	timeout := props.TimeoutSeconds
	if timeout == 0 {
		timeout = FunctionTimeout
	}
	f.Function = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Description:           jsii.String(props.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
		MemorySize:            jsii.Number(float64(props.MemoryMB)),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(float64(timeout))),
		Environment:           &props.Environment,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		LogGroup:              f.LogGroup,
		Tracing:               awslambda.Tracing_ACTIVE,
		Role:                  role,
	})
	cfn := f.Function.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.OverrideLogicalId(jsii.String(FunctionLogicalID(props.Name)))
	suppress(f.Role, "AwsSolutions-IAM5", "X-Ray's PutTraceSegments and PutTelemetryRecords accept only Resource \"*\"; tracing is active.", "Resource::*")
	return f, nil
}

// FunctionLogicalID is the CloudFormation logical id of the named function.
func FunctionLogicalID(name string) string {
	return pascal(name) + "Function"
}
