package localstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/lambdalocal"
	"github.com/berth-dev/berth/shared/localsfn"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/schedule"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
)

// Workflows is the local twin of Berth's workflows: the step functions
// behind a local Lambda endpoint, the state machines in local Step
// Functions, and the sandbox cloud they provision in.
type Workflows struct {
	Sandbox *sandbox.Sandbox
	SFN     *localsfn.Server
	// LambdaEndpoint serves every step function by name.
	LambdaEndpoint string
	Starter        apps.WorkflowStarter
	lambdaSrv      *http.Server
	stopScheduler  context.CancelFunc
}

// SandboxPlatform is the platform the sandbox pretends to be.
var SandboxPlatform = provision.Platform{
	Cloud: "sandbox", Region: sandbox.Region, Domain: sandbox.Domain,
	ExecutionRoleARN: "arn:aws:iam::" + sandbox.Account + ":role/berth-sandbox-task-execution",
	VPC:              "vpc-sandbox", Subnets: []string{"subnet-sandbox-a", "subnet-sandbox-b"},
	Cluster:          "arn:aws:ecs:" + sandbox.Region + ":" + sandbox.Account + ":cluster/berth-sandbox",
	LogRetentionDays: 7, CleanupWait: time.Second,
	// The sandbox runs data tasks itself, whatever their image.
	DataImage:       "berth-data:sandbox",
	DataTaskRoleARN: "arn:aws:iam::" + sandbox.Account + ":role/berth-sandbox-data-task",
}

// WorkflowsConfig configures the local workflows.
type WorkflowsConfig struct {
	Store *store.Table
	// Sandbox is the cloud; a new one with the Fast profile when nil.
	Sandbox *sandbox.Sandbox
	// Now is the steps' clock; the wall clock when nil.
	Now func() time.Time
	// Log receives the local Step Functions server's log.
	Log io.Writer
	// NoWaits makes every Wait state of every definition last 0 s, and
	// Begin's retries 0.2 s, for tests on the Instant sandbox, where
	// nothing takes time.
	NoWaits bool
	// HeartbeatTimeout is SandboxPlatform's HeartbeatTimeout; the default when zero.
	HeartbeatTimeout time.Duration
}

// StartWorkflows starts the local Lambda endpoint and local Step Functions
// with every definition in statemachines/.
func StartWorkflows(ctx context.Context, cfg WorkflowsConfig) (*Workflows, error) {
	if cfg.Sandbox == nil {
		cfg.Sandbox = sandbox.New(sandbox.Fast)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	platform := SandboxPlatform
	platform.HeartbeatTimeout = cfg.HeartbeatTimeout
	steps := &provision.Steps{Store: cfg.Store, Rollouts: cfg.Store, Jobs: cfg.Store, Data: cfg.Store, Cloud: cfg.Sandbox, Platform: platform, Now: cfg.Now}
	fns := map[string]lambda.Handler{}
	for _, name := range provision.StepNames {
		h, err := steps.Handler(name)
		if err != nil {
			return nil, err
		}
		fns[name] = lambda.NewHandler(h)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &Workflows{Sandbox: cfg.Sandbox, LambdaEndpoint: "http://" + ln.Addr().String()}
	w.lambdaSrv = &http.Server{Handler: &lambdalocal.Server{Functions: fns}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.lambdaSrv.Serve(ln) }()

	root, err := localsfn.RepoRoot()
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	subs := map[string]string{}
	for _, name := range provision.StepNames {
		subs[provision.SubstitutionKey(name)] = fmt.Sprintf("arn:aws:lambda:us-east-1:000000000000:function:%s", name)
	}
	machines := map[string]localsfn.StateMachine{}
	for _, wf := range apps.Workflows {
		path := filepath.Join(root, "statemachines", string(wf)+".asl.json")
		sm := localsfn.StateMachine{DefinitionPath: path, Substitutions: subs}
		if cfg.NoWaits {
			if sm.WaitTimeOverrides, sm.RetryIntervalOverrides, err = zeroWaits(path); err != nil {
				_ = w.Close()
				return nil, err
			}
		}
		machines[string(wf)] = sm
	}
	w.SFN, err = localsfn.Start(ctx, localsfn.Config{LambdaEndpoint: w.LambdaEndpoint, StateMachines: machines, Log: cfg.Log})
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	arns := map[apps.Workflow]string{}
	for _, wf := range apps.Workflows {
		arns[wf] = w.SFN.ARN(string(wf))
	}
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	w.Starter = stepfunctions.New(awsCfg, arns, w.SFN.Endpoint)
	// The local scheduler fires cron jobs' schedules on the sandbox's
	// clock, starting run-job as EventBridge Scheduler would.
	runCtx, stop := context.WithCancel(context.Background())
	w.stopScheduler = stop
	go cfg.Sandbox.Schedules().Run(runCtx, nextFiring, w.fire)
	return w, nil
}

// nextFiring is a schedule expression's next firing after after.
func nextFiring(expr string, after time.Time) (time.Time, bool) {
	e, err := schedule.Parse(expr)
	if err != nil {
		return time.Time{}, false
	}
	return e.Next(after)
}

// fire starts run-job with a schedule's input, under a name of its own
// per firing, as EventBridge Scheduler does.
func (w *Workflows) fire(ctx context.Context, input string) error {
	var in apps.ExecutionInput
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return fmt.Errorf("schedule input: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return w.Starter.Start(ctx, apps.Execution{Workflow: apps.RunJob, Name: "scheduler-" + hex.EncodeToString(b), Input: in})
}

// zeroWaits overrides every Wait state of a definition, Parallel branches
// included, to 0 ms, and every Task's pause before a retry to 200 ms.
func zeroWaits(path string) (waits, retries map[string]int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	type machine struct {
		States map[string]struct {
			Type     string    `json:"Type"`
			Branches []machine `json:"Branches"`
		} `json:"States"`
	}
	var def machine
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	waits, retries = map[string]int{}, map[string]int{}
	var walk func(machine)
	walk = func(m machine) {
		for name, st := range m.States {
			switch st.Type {
			case "Wait":
				waits[name] = 0
			case "Task":
				// Begin retries while another run must finish first, a cloud step
				// while the cloud is unavailable: 0.2 s stands for AWS's seconds.
				retries[name] = 200
			}
			for _, b := range st.Branches {
				walk(b)
			}
		}
	}
	walk(def)
	return waits, retries, nil
}

// Close stops local Step Functions and the Lambda endpoint.
func (w *Workflows) Close() error {
	if w.stopScheduler != nil {
		w.stopScheduler()
	}
	var errs []error
	if w.SFN != nil {
		errs = append(errs, w.SFN.Close())
	}
	if w.lambdaSrv != nil {
		errs = append(errs, w.lambdaSrv.Close())
	}
	return errors.Join(errs...)
}
