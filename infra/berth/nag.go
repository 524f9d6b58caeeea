package berth

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddNagChecks runs cdk-nag's AwsSolutions pack over scope at synthesis.
// Findings become error or warning annotations; `cdk synth` fails on errors.
func AddNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(false),
	}), nil)
}

// suppress records, on c and everything under it at the time of the call,
// that a cdk-nag rule does not apply, and why. Call it right where the
// resource is defined, after whatever adds the finding. appliesTo narrows
// it to the listed findings: a string such as "Resource::*" for IAM5, or a
// cdknag.RegexAppliesTo from appliesRegex.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...any) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// appliesRegex matches findings by a JavaScript regular expression
// literal, e.g. `/^Resource::arn:.*:repository\/berth\/\*$/`.
func appliesRegex(literal string) cdknag.RegexAppliesTo {
	return cdknag.RegexAppliesTo{Regex: jsii.String(literal)}
}
