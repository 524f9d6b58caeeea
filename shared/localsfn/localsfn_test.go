package localsfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/berth-dev/berth/shared/lambdalocal"
	"github.com/berth-dev/berth/shared/localsfn"
)

var (
	server *localsfn.Server
	client *sfn.Client
	calls  = struct {
		sync.Mutex
		n map[string]int
	}{n: map[string]int{}}
)

type poll struct {
	Polls int  `json:"polls"`
	Ready bool `json:"ready"`
	Wait  int  `json:"wait"`
}

type provision struct {
	Key      string `json:"key"`
	Mode     string `json:"mode"`
	Failures int    `json:"failures"`
}

func functions() map[string]lambda.Handler {
	return map[string]lambda.Handler{
		"poll": lambda.NewHandler(func(_ context.Context, p poll) (poll, error) {
			p.Polls++
			p.Ready = p.Polls >= 2
			return p, nil
		}),
		"echo": lambda.NewHandler(func(_ context.Context, in map[string]any) (map[string]any, error) {
			return in, nil
		}),
		"provision": lambda.NewHandler(func(_ context.Context, p provision) (map[string]bool, error) {
			calls.Lock()
			calls.n[p.Key]++
			n := calls.n[p.Key]
			calls.Unlock()
			switch {
			case p.Mode == "timeout":
				return nil, messages.InvokeResponse_Error{Type: "Berth.Timeout", Message: "provisioning took too long"}
			case p.Mode == "flaky" && n <= p.Failures:
				return nil, messages.InvokeResponse_Error{Type: "Berth.Flaky", Message: fmt.Sprintf("attempt %d failed", n)}
			}
			return map[string]bool{"provisioned": true}, nil
		}),
	}
}

func machines() map[string]localsfn.StateMachine {
	subs := map[string]string{"Region": "us-east-1", "Account": "000000000000", "EchoFunction": "echo"}
	return map[string]localsfn.StateMachine{
		"deploy": {DefinitionPath: "testdata/deploy.asl.json", Substitutions: subs},
		// Retries pause 10ms instead of IntervalSeconds' 1s.
		"guarded": {DefinitionPath: "testdata/guarded.asl.json", Substitutions: subs, RetryIntervalOverrides: map[string]int{"Provision": 10}},
	}
}

func TestMain(m *testing.M) {
	lambdaSrv := httptest.NewServer(&lambdalocal.Server{Functions: functions()})
	var log bytes.Buffer
	var err error
	server, err = localsfn.Start(context.Background(), localsfn.Config{
		LambdaEndpoint: lambdaSrv.URL,
		StateMachines:  machines(),
		Log:            &syncWriter{w: &log},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "local Step Functions did not start (these tests need `make deps`):", err)
		os.Exit(1)
	}
	client = server.Client()
	code := m.Run()
	_ = server.Close()
	lambdaSrv.Close()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "local Step Functions log:\n%s", log.String())
	}
	os.Exit(code)
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func start(t *testing.T, machine, name, input string) *sfn.StartExecutionOutput {
	t.Helper()
	out, err := client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(server.ARN(machine)),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return out
}

func await(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still running after 30s", arn)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func history(t *testing.T, arn string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	// Small pages, so that nextToken is exercised.
	p := sfn.NewGetExecutionHistoryPaginator(client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 4})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	for i, e := range events {
		if e.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, e.Id)
		}
	}
	return events
}

// entered lists the states entered, in order, as "Type:Name".
func entered(events []types.HistoryEvent) []string {
	var out []string
	for _, e := range events {
		if typ, ok := strings.CutSuffix(string(e.Type), "StateEntered"); ok {
			out = append(out, typ+":"+aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	return out
}

func assertJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("output %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("output\n %s\nwant\n %s", got, want)
	}
}

func TestLoopWaitAndParallel(t *testing.T) {
	t.Parallel()
	const input = `{"polls":0,"wait":2}`
	first := start(t, "deploy", "deploy-1", input)

	// Still running (it waits 2s): the same name and input is the same start.
	again := start(t, "deploy", "deploy-1", input)
	if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) || !again.StartDate.Equal(*first.StartDate) {
		t.Fatalf("restart gave %v %v, want %v %v", aws.ToString(again.ExecutionArn), again.StartDate, aws.ToString(first.ExecutionArn), first.StartDate)
	}
	_, err := client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(server.ARN("deploy")), Name: aws.String("deploy-1"), Input: aws.String(`{"polls":1,"wait":2}`),
	})
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("same name, other input: want ExecutionAlreadyExists, got %v", err)
	}

	out := await(t, aws.ToString(first.ExecutionArn))
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if d := out.StopDate.Sub(*out.StartDate); d < 2*time.Second {
		t.Fatalf("took %s; the Wait state's SecondsPath asks for 2s", d)
	}
	if aws.ToString(out.Input) != input || aws.ToString(out.Name) != "deploy-1" || aws.ToString(out.StateMachineArn) != server.ARN("deploy") {
		t.Fatalf("describe: %+v", out)
	}
	assertJSON(t, aws.ToString(out.Output), `{"polls":2,"ready":true,"wait":2,"sides":[
		{"echo":{"side":"left","polls":2,"execution":"deploy-1"},"status":200},
		{"side":"right"}]}`)

	events := history(t, aws.ToString(first.ExecutionArn))
	if events[0].Type != types.HistoryEventTypeExecutionStarted || events[len(events)-1].Type != types.HistoryEventTypeExecutionSucceeded {
		t.Fatalf("history runs %s .. %s", events[0].Type, events[len(events)-1].Type)
	}
	got := entered(events)
	// The branches run concurrently: compare them as a set after the fixed prefix.
	prefix := []string{"Task:Poll", "Choice:Ready?", "Wait:Pause", "Task:Poll", "Choice:Ready?", "Parallel:Finish"}
	if len(got) != 9 || !reflect.DeepEqual(got[:6], prefix) || got[8] != "Succeed:Done" ||
		!(got[6] == "Task:Left" && got[7] == "Pass:Right" || got[6] == "Pass:Right" && got[7] == "Task:Left") {
		t.Fatalf("states entered: %v", got)
	}
	count := map[types.HistoryEventType]int{}
	for _, e := range events {
		count[e.Type]++
	}
	if count[types.HistoryEventTypeLambdaFunctionSucceeded] != 2 || count[types.HistoryEventTypeTaskSucceeded] != 1 ||
		count[types.HistoryEventTypeTaskStateExited] != 3 {
		t.Fatalf("event counts: %v", count)
	}

	// Closed: AWS refuses the name even with the same input.
	_, err = client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(server.ARN("deploy")), Name: aws.String("deploy-1"), Input: aws.String(input),
	})
	if !errors.As(err, &exists) {
		t.Fatalf("restart after it closed: want ExecutionAlreadyExists, got %v", err)
	}

	list, err := client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(server.ARN("deploy")), StatusFilter: types.ExecutionStatusSucceeded,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "deploy-1" {
		t.Fatalf("succeeded executions: %+v", list.Executions)
	}
	list, err = client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(server.ARN("deploy")), StatusFilter: types.ExecutionStatusRunning,
	})
	if err != nil || len(list.Executions) != 0 {
		t.Fatalf("running executions: %v %+v", err, list)
	}
}

func TestCatchByErrorName(t *testing.T) {
	t.Parallel()
	out := await(t, aws.ToString(start(t, "guarded", "timeout-1", `{"key":"timeout-1","mode":"timeout"}`).ExecutionArn))
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	// Error is the Go step's errorType; Cause is the function's error payload, as in AWS.
	assertJSON(t, aws.ToString(out.Output), `{"caught":"Berth.Timeout",
		"cause":{"errorMessage":"provisioning took too long","errorType":"Berth.Timeout"}}`)
	got := entered(history(t, aws.ToString(out.ExecutionArn)))
	if !reflect.DeepEqual(got, []string{"Task:Provision", "Pass:TimedOut"}) {
		t.Fatalf("states entered: %v", got)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	out := await(t, aws.ToString(start(t, "guarded", "flaky-1", `{"key":"flaky-1","mode":"flaky","failures":2}`).ExecutionArn))
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	var failed []string
	succeeded := 0
	for _, e := range history(t, aws.ToString(out.ExecutionArn)) {
		switch e.Type {
		case types.HistoryEventTypeLambdaFunctionFailed:
			failed = append(failed, aws.ToString(e.LambdaFunctionFailedEventDetails.Error))
		case types.HistoryEventTypeLambdaFunctionSucceeded:
			succeeded++
		}
	}
	if !reflect.DeepEqual(failed, []string{"Berth.Flaky", "Berth.Flaky"}) || succeeded != 1 || callCount("flaky-1") != 3 {
		t.Fatalf("failures %v, successes %d, calls %d", failed, succeeded, callCount("flaky-1"))
	}

	// Past MaxAttempts the error goes to the States.ALL catcher, and the Fail
	// state fails the execution with it.
	out = await(t, aws.ToString(start(t, "guarded", "flaky-2", `{"key":"flaky-2","mode":"flaky","failures":9}`).ExecutionArn))
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "Berth.Flaky" ||
		aws.ToString(out.Cause) != `{"errorMessage":"attempt 4 failed","errorType":"Berth.Flaky"}` {
		t.Fatalf("got %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if n := callCount("flaky-2"); n != 4 {
		t.Fatalf("%d calls, want 1 + MaxAttempts 3", n)
	}
	got := entered(history(t, aws.ToString(out.ExecutionArn)))
	if !reflect.DeepEqual(got, []string{"Task:Provision", "Fail:Broken"}) {
		t.Fatalf("states entered: %v", got)
	}
}

func callCount(key string) int {
	calls.Lock()
	defer calls.Unlock()
	return calls.n[key]
}

func TestUnknownStateMachine(t *testing.T) {
	t.Parallel()
	_, err := client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(server.ARN("missing")), Name: aws.String("x"), Input: aws.String(`{}`),
	})
	var missing *types.StateMachineDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("want StateMachineDoesNotExist, got %v", err)
	}
	_, err = client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:deploy:never-started"),
	})
	var noExecution *types.ExecutionDoesNotExist
	if !errors.As(err, &noExecution) {
		t.Fatalf("want ExecutionDoesNotExist, got %v", err)
	}
}

func TestMissingSubstitutionFailsStart(t *testing.T) {
	t.Parallel()
	s, err := localsfn.Start(context.Background(), localsfn.Config{
		LambdaEndpoint: "http://127.0.0.1:1",
		StateMachines: map[string]localsfn.StateMachine{
			"deploy": {DefinitionPath: "testdata/deploy.asl.json", Substitutions: map[string]string{"Region": "us-east-1", "Account": "000000000000"}},
		},
	})
	if err == nil {
		s.Close()
		t.Fatal("started with ${EchoFunction} unset")
	}
	if !strings.Contains(err.Error(), "no substitution for ${EchoFunction}") {
		t.Fatalf("error does not name the placeholder: %v", err)
	}
}
