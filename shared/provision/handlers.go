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
// links only the provider clients of that group (scaling is apart from the
// service: the ECS client alone fills the service step's size budget).
const (
	StepBegin      = "step-begin"
	StepDatabase   = "step-database"
	StepFilesystem = "step-filesystem"
	StepRepository = "step-repository"
	StepNetwork    = "step-network"
	StepRuntime    = "step-runtime"
	StepService    = "step-service"
	StepScaling    = "step-scaling"
	StepFinish     = "step-finish"
)

// StepNames lists every step function.
var StepNames = []string{StepBegin, StepDatabase, StepFilesystem, StepRepository, StepNetwork, StepRuntime, StepService, StepScaling, StepFinish}

// NeedsCloud reports whether a step asks anything of the cloud.
func NeedsCloud(step string) bool { return step != StepBegin && step != StepFinish }

// Step is one step function: its name and the method of Steps it serves.
type Step struct {
	Name string
	// Groups are the groups a cloud step serves; none for begin and finish.
	Groups  []Group
	handler func(*Steps) any
}

// The steps, one variable each and literals all (no init code), so that a
// step's main.go names its step at compile time and the linker keeps only
// the code that step reaches: begin and finish link no cloud step, and a
// cloud step no other group's.
var (
	BeginStep  = Step{Name: StepBegin, handler: func(s *Steps) any { return s.Begin }}
	FinishStep = Step{Name: StepFinish, handler: func(s *Steps) any { return s.Finish }}

	DatabaseStep = Step{Name: StepDatabase, Groups: []Group{GroupDatabase}, handler: func(s *Steps) any {
		return s.serve(actions{create: s.createApp(s.createDatabase), check: s.Check})
	}}
	FilesystemStep = Step{Name: StepFilesystem, Groups: []Group{GroupFilesystem}, handler: func(s *Steps) any {
		return s.serve(actions{create: s.createApp(s.createFilesystem), check: s.Check})
	}}
	RepositoryStep = Step{Name: StepRepository, Groups: []Group{GroupRepository}, handler: func(s *Steps) any {
		return s.serve(actions{create: s.createApp(s.createRepository)})
	}}
	NetworkStep = Step{Name: StepNetwork, Groups: []Group{GroupNetwork}, handler: func(s *Steps) any {
		return s.serve(actions{create: s.createEnv(s.createNetwork)})
	}}
	// RuntimeStep also reads a failed deployment's and a job's log lines,
	// and a backup's size from its task's.
	RuntimeStep = Step{Name: StepRuntime, Groups: []Group{GroupRuntime, GroupJob, GroupData}, handler: func(s *Steps) any {
		return s.serve(actions{create: s.createEnv(s.createRuntime), logs: byGroup(map[Group]action{GroupRuntime: s.FailureLogs, GroupJob: s.jobOutput, GroupData: s.recordData})})
	}}
	// ServiceStep also rolls deployments out and back, behind the health
	// gate, runs jobs' and data operations' tasks, and stops and starts a
	// sync's target.
	ServiceStep = Step{Name: StepService, Groups: []Group{GroupService, GroupRollout, GroupRollback, GroupJob, GroupData, GroupDataTarget}, handler: func(s *Steps) any {
		return s.serve(actions{
			create:  byGroup(map[Group]action{GroupService: s.createService, GroupRollout: s.rollOut, GroupRollback: s.rollBack, GroupJob: s.startTask, GroupData: s.startData, GroupDataTarget: s.stopTarget}),
			check:   byGroup(map[Group]action{GroupService: s.Check, GroupRollout: s.checkRollout, GroupJob: s.checkTask, GroupData: s.checkData, GroupDataTarget: s.checkTargetStopped}),
			cleanup: byGroup(map[Group]action{GroupService: s.Cleanup, GroupJob: s.stopJobTask, GroupData: s.stopDataTask, GroupDataTarget: s.startTarget}),
		})
	}}
	// ScalingStep registers the service's scaling, each deployment's (and
	// rollback's) bounds, and a sync target's while it is stopped.
	ScalingStep = Step{Name: StepScaling, Groups: []Group{GroupScaling, GroupRollout, GroupRollback, GroupDataTarget}, handler: func(s *Steps) any {
		return s.serve(actions{
			create: byGroup(map[Group]action{GroupScaling: s.createScaling, GroupRollout: s.scaleRollout, GroupRollback: s.scaleBack, GroupDataTarget: s.stopTargetScaling}),
			cleanup: func(ctx context.Context, in Input) (Loop, error) {
				if in.Group == GroupDataTarget {
					return s.startTargetScaling(ctx, in)
				}
				return s.Cleanup(ctx, in)
			},
		})
	}}
)

// action is one thing a cloud step does.
type action func(context.Context, Input) (Loop, error)

// actions are what a cloud step can be asked; every one cleans up its
// group (Cleanup, unless cleanup says otherwise).
type actions struct{ create, check, logs, cleanup action }

func (s *Steps) serve(a actions) any {
	if a.cleanup == nil {
		a.cleanup = s.Cleanup
	}
	return func(ctx context.Context, in Input) (Loop, error) {
		do := map[Action]action{ActionCreate: a.create, ActionCheck: a.check, ActionLogs: a.logs, ActionCleanup: a.cleanup}[in.Action]
		if do == nil {
			return Loop{}, fail(ErrInvalid, "the %s step cannot %q", in.Group, in.Action)
		}
		return do(ctx, in)
	}
}

// byGroup picks the action for in.Group.
func byGroup(by map[Group]action) action {
	return func(ctx context.Context, in Input) (Loop, error) {
		do := by[in.Group]
		if do == nil {
			return Loop{}, fail(ErrInvalid, "no such action for group %q", in.Group)
		}
		return do(ctx, in)
	}
}

// FindStep returns the step with the given name.
func FindStep(name string) (Step, error) {
	for _, st := range []Step{BeginStep, DatabaseStep, FilesystemStep, RepositoryStep, NetworkStep, RuntimeStep, ServiceStep, ScalingStep, FinishStep} {
		if st.Name == name {
			return st, nil
		}
	}
	return Step{}, fmt.Errorf("no step function %q; there are %v", name, StepNames)
}

// Handler is the step's handler on s, for lambda.NewHandler. A cloud
// step refuses a group it does not serve: a wiring mistake in a state
// machine, answered as Berth.Invalid.
func (st Step) Handler(s *Steps) any {
	h := st.handler(s)
	if len(st.Groups) == 0 {
		return h
	}
	act := h.(func(context.Context, Input) (Loop, error))
	return func(ctx context.Context, in Input) (Loop, error) {
		if !slices.Contains(st.Groups, in.Group) {
			return Loop{}, fail(ErrInvalid, "%s serves the groups %v, not %q", st.Name, st.Groups, in.Group)
		}
		return act(ctx, in)
	}
}

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
