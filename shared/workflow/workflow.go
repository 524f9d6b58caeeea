// Package workflow holds the in-memory workflow starter, a Recorder that
// keeps executions until the local executor runs them. The Step Functions
// starter is in shared/stepfunctions, so that only the Lambdas that start
// workflows link the Step Functions client.
package workflow

import (
	"context"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/apps"
)

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
