package awsmetrics_test

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlyCloudWatch: the Lambda that reads metrics links this
// package, and every SDK service package linked costs its cold start.
func TestLinksOnlyCloudWatch(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berth-dev/berth/shared/metrics/awsmetrics").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var services []string
	for _, dep := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(dep, "github.com/aws/aws-sdk-go-v2/service/"); ok {
			if name, _, _ := strings.Cut(rest, "/"); name != "internal" && !slices.Contains(services, name) {
				services = append(services, name)
			}
		}
	}
	if want := []string{"cloudwatch"}; !reflect.DeepEqual(services, want) {
		t.Errorf("links the SDK services %v, want %v", services, want)
	}
}
