package provision

import (
	"fmt"
	"strings"
)

// Step function names: functions/<name>/main.go serves each in Lambda, and
// the state machines name them as ${<Name in PascalCase>FunctionArn}.
const (
	StepBegin   = "step-begin"
	StepCreate  = "step-create"
	StepCheck   = "step-check"
	StepCleanup = "step-cleanup"
	StepFinish  = "step-finish"
)

// StepNames lists every step function.
var StepNames = []string{StepBegin, StepCreate, StepCheck, StepCleanup, StepFinish}

// NeedsCloud reports whether a step asks anything of the cloud; begin and
// finish only read and write the records.
func NeedsCloud(step string) bool {
	return step == StepCreate || step == StepCheck || step == StepCleanup
}

// Handler is the step function's handler, for lambda.NewHandler.
func (s *Steps) Handler(name string) (any, error) {
	switch name {
	case StepBegin:
		return s.Begin, nil
	case StepCreate:
		return s.Create, nil
	case StepCheck:
		return s.Check, nil
	case StepCleanup:
		return s.Cleanup, nil
	case StepFinish:
		return s.Finish, nil
	}
	return nil, fmt.Errorf("no step function %q; there are %v", name, StepNames)
}

// SubstitutionKey is the DefinitionSubstitutions key under which the state
// machines name a step function's ARN: step-create → StepCreateFunctionArn.
// The CDK stack derives the same key from the function's logical id.
func SubstitutionKey(step string) string {
	var b strings.Builder
	for _, part := range strings.Split(step, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "FunctionArn"
}
