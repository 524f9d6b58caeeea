package awsautoscaling

import (
	"testing"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// testPart builds the part with New, its client pointed at a stub by its
// endpoint variable.
func testPart(t *testing.T) (*Part, *awstest.Stub) {
	stub := awstest.New(t)
	return New(stub.Config(), awstest.Platform, stub.Getenv), stub
}
