package awsrepository

import (
	"testing"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// testPart builds the part with New, its clients pointed at a stub by
// their endpoint variables.
func testPart(t *testing.T) (*Part, *awstest.Stub) {
	stub := awstest.New(t)
	return New(stub.Config(), awstest.Platform, stub.Getenv), stub
}
