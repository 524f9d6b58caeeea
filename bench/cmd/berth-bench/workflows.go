package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// WorkflowReport is the provision-application happy path of the seed
// application (RDS + EFS + ECS) in the local executor.
type WorkflowReport struct {
	Transitions     int     `json:"stateTransitions"`
	HistoryEvents   int     `json:"historyEvents"`
	TimeToReadySec  float64 `json:"timeToReadySeconds"`
	CriticalPathSec float64 `json:"criticalPathSeconds"`
	SumOfResources  float64 `json:"sumOfResourcesSeconds"`
	Ratio           float64 `json:"timeToReadyToCriticalPath"`
	Meets           bool    `json:"meetsGoal"`
	How             string  `json:"how"`
	// Deployment is a deploy-environment run on the same application.
	Deployment *DeploymentReport `json:"deployment,omitempty"`
	// Command is a run-job run of `echo hello` on its production.
	Command *CommandReport `json:"command,omitempty"`
}

// CommandReport is one command, from its POST to its SUCCEEDED, against
// the sandbox's task start time.
type CommandReport struct {
	Transitions  int     `json:"stateTransitions"`
	PostToEndSec float64 `json:"postToSucceededSeconds"`
	TaskStartSec float64 `json:"taskStartSeconds"`
	Ratio        float64 `json:"postToSucceededToTaskStart"`
	How          string  `json:"how"`
}

// DeploymentReport is one deploy-environment run (a PATCH of production's
// compose) to a steady state, in the same realistic sandbox.
type DeploymentReport struct {
	Transitions     int     `json:"stateTransitions"`
	HistoryEvents   int     `json:"historyEvents"`
	SteadySec       float64 `json:"timeToSteadyStateSeconds"`
	CriticalPathSec float64 `json:"criticalPathSeconds"`
	Ratio           float64 `json:"timeToSteadyStateToCriticalPath"`
	How             string  `json:"how"`
}

func workflowEconomy() (*WorkflowReport, error) {
	ctx := context.Background()
	stack, err := localstack.Start(ctx, localstack.Config{Table: "berth-bench-workflows", RunWorkflows: true,
		Sandbox: sandbox.New(sandbox.Realistic), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	tok, id, secret := auth.NewSecret()
	if err := (&store.Table{Client: stack.Client, Name: stack.Table}).CreateToken(ctx, auth.Token{ID: id,
		SecretHash: auth.HashSecret(secret), Organisations: []string{"acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()}); err != nil {
		return nil, err
	}
	call := func(method, path string, body []byte) (int, map[string]any) {
		req := httptest.NewRequest(method, "/api/v3/organizations/acme"+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		stack.Handler.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	seed, err := os.ReadFile("docs/examples/create-application.json")
	if err != nil {
		return nil, err
	}
	if code, out := call(http.MethodPost, "/applications", seed); code != http.StatusCreated {
		return nil, fmt.Errorf("create the seed application: %d %v", code, out)
	}
	var app map[string]any
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		_, app = call(http.MethodGet, "/applications/my-app", nil)
		if s := app["status"]; s == "ACTIVE" || s == "FAILED" {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the seed application is still %v after 2 minutes", app["status"])
		}
	}
	if app["status"] != "ACTIVE" {
		return nil, fmt.Errorf("the seed application %v: %v", app["status"], app["statusReason"])
	}
	progress, _ := app["progress"].(map[string]any)
	execution, _ := progress["execution"].(string)
	events, err := history(ctx, stack, "provision-application", execution)
	if err != nil {
		return nil, err
	}
	r := &WorkflowReport{HistoryEvents: len(events), How: "localstack.Start with RunWorkflows and sandbox.Realistic; " +
		"the seed docs/examples/create-application.json; transitions = *StateEntered events of GetExecutionHistory; " +
		"time to ready = last history event − first; critical path = max(database, filesystem + mount targets) + service"}
	for _, e := range events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			r.Transitions++
		}
	}
	pr := sandbox.Realistic
	critical := max(pr.Create[cloud.KindDatabase], pr.Create[cloud.KindFilesystem]+pr.MountTargets) + pr.Create[cloud.KindService]
	sum := pr.Create[cloud.KindDatabase] + pr.Create[cloud.KindFilesystem] + pr.MountTargets + pr.Create[cloud.KindService]
	total := events[len(events)-1].Timestamp.Sub(*events[0].Timestamp)
	r.TimeToReadySec, r.CriticalPathSec, r.SumOfResources = round(total.Seconds(), 3), critical.Seconds(), sum.Seconds()
	r.Ratio = round(total.Seconds()/critical.Seconds(), 3)
	r.Meets = r.Transitions <= 30 && r.Ratio <= 1.05
	if r.Deployment, err = deployment(ctx, stack, call); err != nil {
		return r, err
	}
	r.Command, err = command(ctx, stack, call)
	return r, err
}

// command runs `echo hello` on production and measures it from the POST
// to the API showing it SUCCEEDED (polled every 20 ms).
func command(ctx context.Context, stack *localstack.Stack, call func(method, path string, body []byte) (int, map[string]any)) (*CommandReport, error) {
	const cmds = "/applications/my-app/environments/production/commands"
	start := time.Now()
	code, out := call(http.MethodPost, cmds, []byte(`{"command":"echo hello"}`))
	if code != http.StatusOK {
		return nil, fmt.Errorf("run a command: %d %v", code, out)
	}
	id, _ := out["runId"].(string)
	var run map[string]any
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		_, run = call(http.MethodGet, cmds+"/"+id, nil)
		if s := run["status"]; s == "SUCCEEDED" || s == "FAILED" || s == "TIMED_OUT" {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("command %s is still %v after a minute", id, run["status"])
		}
	}
	took := time.Since(start)
	if run["status"] != "SUCCEEDED" {
		return nil, fmt.Errorf("command %s %v: %v", id, run["status"], run["reason"])
	}
	events, err := history(ctx, stack, "run-job", jobs.ExecutionName(mustEnvUID(ctx, stack), id))
	if err != nil {
		return nil, err
	}
	r := &CommandReport{How: "POST .../commands {\"command\":\"echo hello\"} on the seed's production (sandbox.Realistic), polled every 20 ms until SUCCEEDED; " +
		"task start = the sandbox's PROVISIONING and PENDING time (half its service time)"}
	for _, e := range events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			r.Transitions++
		}
	}
	taskStart := sandbox.Realistic.Create[cloud.KindService] / 2
	r.PostToEndSec, r.TaskStartSec = round(took.Seconds(), 3), taskStart.Seconds()
	r.Ratio = round(took.Seconds()/taskStart.Seconds(), 3)
	return r, nil
}

// mustEnvUID is production's uid, which names its commands' executions.
func mustEnvUID(ctx context.Context, stack *localstack.Stack) string {
	env, err := (&store.Table{Client: stack.Client, Name: stack.Table}).GetEnvironment(ctx, "acme", "my-app", "production")
	if err != nil {
		return ""
	}
	return env.UID
}

// deployment redeploys production with a new image tag (a new release)
// and measures its rollout.
func deployment(ctx context.Context, stack *localstack.Stack, call func(method, path string, body []byte) (int, map[string]any)) (*DeploymentReport, error) {
	const env = "/applications/my-app/environments/production"
	code, out := call(http.MethodPut, env+"/state", []byte(`{"action":"redeploy","imageTag":"v2"}`))
	if code != http.StatusAccepted {
		return nil, fmt.Errorf("redeploy production with a new tag: %d %v", code, out)
	}
	number := fmt.Sprint(out["deployment"])
	var dep map[string]any
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, dep = call(http.MethodGet, env+"/deployments/"+number, nil)
		if s := dep["status"]; s == "SUCCEEDED" || s == "FAILED" {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("deployment %s is still %v after a minute", number, dep["status"])
		}
	}
	if dep["status"] != "SUCCEEDED" {
		return nil, fmt.Errorf("deployment %s %v: %v", number, dep["status"], dep["deploymentFailureReason"])
	}
	events, err := history(ctx, stack, "deploy-environment", dep["execution"].(string))
	if err != nil {
		return nil, err
	}
	r := &DeploymentReport{HistoryEvents: len(events), How: "PUT state redeploy with imageTag v2 (a new release) after the seed is ACTIVE; " +
		"time to steady state = last history event − first; critical path = the sandbox's service rollout time"}
	for _, e := range events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			r.Transitions++
		}
	}
	critical := sandbox.Realistic.Create[cloud.KindService]
	total := events[len(events)-1].Timestamp.Sub(*events[0].Timestamp)
	r.SteadySec, r.CriticalPathSec = round(total.Seconds(), 3), critical.Seconds()
	r.Ratio = round(total.Seconds()/critical.Seconds(), 3)
	return r, nil
}

// history reads an execution's events from local Step Functions.
func history(ctx context.Context, stack *localstack.Stack, workflow, execution string) ([]sfntypes.HistoryEvent, error) {
	arn := strings.Replace(stack.Local.SFN.ARN(workflow), ":stateMachine:", ":execution:", 1) + ":" + execution
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(stack.Local.SFN.Client(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		events = append(events, page.Events...)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("no history for %s", arn)
	}
	return events, nil
}
