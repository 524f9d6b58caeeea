package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsDoNotLinkTheCLI: the Lambdas' sizes and cold starts stay
// as they were; the CLI's packages and cobra are for this binary only.
func TestFunctionsDoNotLinkTheCLI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berth-dev/berth/functions/...").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/berth-dev/berth/shared/cli") || strings.HasPrefix(dep, "github.com/spf13/") {
			t.Errorf("a function links %s", dep)
		}
	}
}

// TestCLILinksNoServerCode: the CLI talks HTTP only; it links neither the
// AWS SDK nor the API's own packages.
func TestCLILinksNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/berth-dev/berth/cmd/berth").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") || strings.HasPrefix(dep, "github.com/berth-dev/berth/") && !strings.HasPrefix(dep, "github.com/berth-dev/berth/shared/cli") && dep != "github.com/berth-dev/berth/cmd/berth" {
			t.Errorf("the CLI links %s", dep)
		}
	}
}
