package sandbox

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/shared/cloud"
)

// RunTask implements cloud.Cloud. (Placeholder until the interpreter lands.)
func (s *Sandbox) RunTask(_ context.Context, spec cloud.TaskRun) (cloud.Task, error) {
	return cloud.Task{}, fmt.Errorf("sandbox RunTask: not yet: %w", cloud.ErrInvalid)
}

// DescribeTask implements cloud.Cloud.
func (s *Sandbox) DescribeTask(_ context.Context, arn, container string) (cloud.Task, error) {
	return cloud.Task{}, fmt.Errorf("sandbox DescribeTask: %s: %w", arn, cloud.ErrNotFound)
}

// StopTask implements cloud.Cloud.
func (s *Sandbox) StopTask(_ context.Context, arn, reason string) error {
	return fmt.Errorf("sandbox StopTask: %s: %w", arn, cloud.ErrNotFound)
}
