package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Step function names: functions/<name>/main.go serves each in Lambda, and
// the state machines name them as ${<Name in PascalCase>FunctionArn}.
//
// begin and finish only read and write the records. Each cloud step
// creates, checks and deletes one group's resources, so that its function
// links only the provider clients of that group.
const (
	StepBegin      = "step-begin"
	StepDatabase   = "step-database"
	StepFilesystem = "step-filesystem"
	StepRepository = "step-repository"
	StepNetwork    = "step-network"
	StepRuntime    = "step-runtime"
	StepService    = "step-service"
	StepFinish     = "step-finish"
)

// StepNames lists every step function.
var StepNames = []string{StepBegin, StepDatabase, StepFilesystem, StepRepository, StepNetwork, StepRuntime, StepService, StepFinish}

// NeedsCloud reports whether a step asks anything of the cloud.
func NeedsCloud(step string) bool { return step != StepBegin && step != StepFinish }

// Step is one step function: its name and the method of Steps it serves.
type Step struct {
	Name string
	// Groups are the groups a cloud step serves; none for begin and finish.
	Groups  []Group
	handler func(*Steps) any
}

// The steps, one variable each, so that a step's main.go names its step at
// compile time and links no other step's code.
var (
	BeginStep      = Step{Name: StepBegin, handler: func(s *Steps) any { return s.Begin }}
	DatabaseStep   = cloudStep(StepDatabase, GroupDatabase)
	FilesystemStep = cloudStep(StepFilesystem, GroupFilesystem)
	RepositoryStep = cloudStep(StepRepository, GroupRepository)
	NetworkStep    = cloudStep(StepNetwork, GroupNetwork)
	RuntimeStep    = cloudStep(StepRuntime, GroupRuntime)
	ServiceStep    = cloudStep(StepService, GroupService, GroupRollout, GroupRollback)
	FinishStep     = Step{Name: StepFinish, handler: func(s *Steps) any { return s.Finish }}
)

var steps = []Step{BeginStep, DatabaseStep, FilesystemStep, RepositoryStep, NetworkStep, RuntimeStep, ServiceStep, FinishStep}

// cloudStep serves the actions on groups; a group it does not hold is a
// wiring mistake in a state machine, refused as Berth.Invalid.
func cloudStep(name string, groups ...Group) Step {
	return Step{Name: name, Groups: groups, handler: func(s *Steps) any {
		return func(ctx context.Context, in Input) (Loop, error) {
			if !slices.Contains(groups, in.Group) {
				return Loop{}, fail(ErrInvalid, "%s serves the groups %v, not %q", name, groups, in.Group)
			}
			switch in.Action {
			case ActionCreate:
				return s.Create(ctx, in)
			case ActionCheck:
				return s.Check(ctx, in)
			case ActionCleanup:
				return s.Cleanup(ctx, in)
			case ActionLogs:
				return s.FailureLogs(ctx, in)
			}
			return Loop{}, fail(ErrInvalid, "%s: unknown action %q", name, in.Action)
		}
	}}
}

// FindStep returns the step with the given name.
func FindStep(name string) (Step, error) {
	for _, st := range steps {
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
// machines name a step function's ARN: step-network → StepNetworkFunctionArn.
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
