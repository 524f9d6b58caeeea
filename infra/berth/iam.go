package berth

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// InlinePolicyName names the one inline policy of each of Berth's roles.
const InlinePolicyName = "Berth"

// inlineDefaultPolicy makes the statements CDK's own constructs and
// grants put in a role's DefaultPolicy (an AWS::IAM::Policy beside the
// role, as a state machine's logging, tracing and GrantInvoke do) the
// role's inline policy instead: the same statements, one resource fewer
// out of the template's 500. The role renders the policy's document, so a
// statement CDK adds to it later still lands in the role; and a resource
// that depended on the role (a state machine waits for its role's
// permissions) still does, the permissions being part of the role now.
// It panics when the role already has inline policies: they would be
// replaced.
func inlineDefaultPolicy(role awsiam.IRole) {
	policy, ok := role.Node().TryFindChild(jsii.String("DefaultPolicy")).(awsiam.Policy)
	if !ok {
		return
	}
	cfn, ok := role.Node().DefaultChild().(awsiam.CfnRole)
	if !ok {
		panic(fmt.Sprintf("%s is not a role defined in this stack", *role.Node().Path()))
	}
	if cfn.Policies() != nil {
		panic(fmt.Sprintf("role %s has inline policies already; give it its statements through them", *role.Node().Path()))
	}
	cfn.SetPolicies(&[]any{&awsiam.CfnRole_PolicyProperty{PolicyName: jsii.String(InlinePolicyName), PolicyDocument: policy.Document()}})
	role.Node().TryRemoveChild(jsii.String("DefaultPolicy"))
}
