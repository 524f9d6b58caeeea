package awscloud_test

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestPartsLinkOnlyTheirServices: a linked SDK service package's init
// runs on every cold start, so each part links its own services' clients
// and no other, and the base package none.
func TestPartsLinkOnlyTheirServices(t *testing.T) {
	const module = "github.com/berth-dev/berth/shared/cloud/awscloud"
	for pkg, want := range map[string][]string{
		"":                nil,
		"/awsdatabase":    {"rds"},
		"/awsfilesystem":  {"efs"},
		"/awsrepository":  {"ecr"},
		"/awsruntime":     {"cloudwatchlogs", "efs", "scheduler", "secretsmanager"},
		"/awsaccesspoint": {"efs"},
		"/awsnetwork":     {"ec2", "elasticloadbalancingv2"},
		"/awsservice":     {"ecs"},
		"/awsautoscaling": {"applicationautoscaling"},
	} {
		out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", module+pkg, err)
		}
		var services []string
		for _, dep := range strings.Fields(string(out)) {
			rest, ok := strings.CutPrefix(dep, "github.com/aws/aws-sdk-go-v2/service/")
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(rest, "/")
			if name != "internal" && !slices.Contains(services, name) {
				services = append(services, name)
			}
		}
		slices.Sort(services)
		if !reflect.DeepEqual(services, want) {
			t.Errorf("awscloud%s links the SDK services %v, want %v", pkg, services, want)
		}
	}
}
