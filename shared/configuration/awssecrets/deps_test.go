package awssecrets_test

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlySecretsManager: the Lambda that writes secrets links this
// package, and every SDK service package linked costs its cold start.
func TestLinksOnlySecretsManager(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berth-dev/berth/shared/configuration/awssecrets").Output()
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
	if want := []string{"secretsmanager"}; !reflect.DeepEqual(services, want) {
		t.Errorf("links the SDK services %v, want %v", services, want)
	}
}
