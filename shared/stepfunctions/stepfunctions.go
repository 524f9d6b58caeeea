// Package stepfunctions starts Berth's workflows as AWS Step Functions
// executions.
package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/reconcile"
)

// Starter starts executions of the state machines named in ARNs.
type Starter struct {
	Client *sfn.Client
	ARNs   map[apps.Workflow]string
}

// Start starts the execution. Step Functions answers ExecutionAlreadyExists
// when the name was used before; the name is fixed per record and
// operation, so that means this start has happened already.
func (s Starter) Start(ctx context.Context, e apps.Execution) error {
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

// New builds a Starter from the Lambda's AWS configuration and the state
// machine ARNs; it is the boot.Ports Workflows constructor.
func New(cfg aws.Config, arns map[apps.Workflow]string, endpoint string) apps.WorkflowStarter {
	return Starter{ARNs: arns, Client: sfn.NewFromConfig(cfg, func(o *sfn.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Status says where the execution of w named name is, for the reconciler
// (shared/reconcile): DescribeExecution on the execution ARN, which is the
// state machine's with "execution" for "stateMachine" and the name added.
func (s Starter) Status(ctx context.Context, w apps.Workflow, name string) (reconcile.ExecutionStatus, error) {
	arn, ok := s.ARNs[w]
	if !ok || !strings.Contains(arn, ":stateMachine:") {
		return "", fmt.Errorf("status of %s %s: no state machine configured", w, name)
	}
	execution := strings.Replace(arn, ":stateMachine:", ":execution:", 1) + ":" + name
	out, err := s.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execution)})
	var missing *types.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return reconcile.ExecutionNotFound, nil
	}
	if err != nil {
		return "", fmt.Errorf("status of %s %s: %w", w, name, err)
	}
	switch out.Status {
	case types.ExecutionStatusRunning, types.ExecutionStatusPendingRedrive:
		return reconcile.ExecutionRunning, nil
	case types.ExecutionStatusSucceeded:
		return reconcile.ExecutionSucceeded, nil
	default:
		return reconcile.ExecutionEnded, nil
	}
}
