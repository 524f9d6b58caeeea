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

// Step is one step function: its name and the method of Steps it serves.
type Step struct {
	Name    string
	handler func(*Steps) any
}

// The steps, one variable each, so that a step's main.go names its step at
// compile time and links no other step's code.
var (
	BeginStep   = Step{Name: StepBegin, handler: func(s *Steps) any { return s.Begin }}
	CreateStep  = Step{Name: StepCreate, handler: func(s *Steps) any { return s.Create }}
	CheckStep   = Step{Name: StepCheck, handler: func(s *Steps) any { return s.Check }}
	CleanupStep = Step{Name: StepCleanup, handler: func(s *Steps) any { return s.Cleanup }}
	FinishStep  = Step{Name: StepFinish, handler: func(s *Steps) any { return s.Finish }}
)

// FindStep returns the step with the given name.
func FindStep(name string) (Step, error) {
	for _, st := range []Step{BeginStep, CreateStep, CheckStep, CleanupStep, FinishStep} {
		if st.Name == name {
			return st, nil
		}
	}
	return Step{}, fmt.Errorf("no step function %q; there are %v", name, StepNames)
}

// Handler is the step's handler on s, for lambda.NewHandler.
func (st Step) Handler(s *Steps) any { return st.handler(s) }

// Handler is the named step function's handler, for lambda.NewHandler.
func (s *Steps) Handler(name string) (any, error) {
	st, err := FindStep(name)
	if err != nil {
		return nil, err
	}
	return st.Handler(s), nil
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
