// Package workflow starts Berth's workflows: on Step Functions in AWS, or in
// a Recorder that keeps the executions in memory until the local executor runs them.
package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/berth-dev/berth/shared/apps"
)

// StepFunctions starts executions of the state machines named in ARNs.
type StepFunctions struct {
	Client *sfn.Client
	ARNs   map[apps.Workflow]string
}

// Start starts the execution. Step Functions answers ExecutionAlreadyExists
// when the name was used before; the name is fixed per record and
// operation, so that means this start has happened already.
func (s StepFunctions) Start(ctx context.Context, e apps.Execution) error {
	arn, ok := s.ARNs[e.Workflow]
	if !ok || arn == "" {
		return fmt.Errorf("start %s: no state machine configured", e.Workflow)
	}
	input, err := json.Marshal(e.Input)
	if err != nil {
		return fmt.Errorf("start %s: encode input: %w", e.Workflow, err)
	}
	_, err = s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn),
		Name:            aws.String(e.Name),
		Input:           aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("start %s %s: %w", e.Workflow, e.Name, err)
	}
	return nil
}

// Started is an execution a Recorder has seen.
type Started struct {
	apps.Execution
	StartedAt time.Time `json:"startedAt"`
}

// Recorder keeps started executions in memory, in order, once per name.
type Recorder struct {
	mu      sync.Mutex
	started []Started
	names   map[string]bool
	// Fail, when set, makes Start fail with it, to test compensation.
	Fail error
}

// Start records e, once per execution name.
func (r *Recorder) Start(_ context.Context, e apps.Execution) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		return r.Fail
	}
	if r.names == nil {
		r.names = map[string]bool{}
	}
	if !r.names[e.Name] {
		r.names[e.Name] = true
		r.started = append(r.started, Started{Execution: e, StartedAt: time.Now().UTC()})
	}
	return nil
}

// Started returns the executions recorded so far.
func (r *Recorder) Started() []Started {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Started(nil), r.started...)
}
