package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
)

// TestADeploymentAdoptsARegistrationWhoseAnswerWasLost: RegisterTaskDefinition
// takes effect and its answer is lost; the retry adopts that revision
// instead of registering another, so no revision is left unrecorded. A
// lost revision of another release is not adopted, but recorded, so that
// teardown deregisters it.
func TestADeploymentAdoptsARegistrationWhoseAnswerWasLost(t *testing.T) {
	ctx := context.Background()
	web := func(image string) compose.Definition {
		return compose.Definition{Containers: []compose.Container{{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: image}}}}
	}
	st := &fakeRecords{
		app: apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusActive},
		envs: []apps.Environment{{Organisation: "acme", Application: "blog", Name: apps.ProductionEnvironment, UID: "u2", Status: apps.StatusActive,
			Provisioning: apps.Provisioning{Outputs: map[string]string{apps.OutLogGroup: "/berth/acme/blog/production", apps.OutSecretsARN: "arn:secret"}}}},
		releases: map[int]deploy.Release{2: {Number: 2, Compose: web("nginx:2")}, 3: {Number: 3, Compose: web("nginx:3")}, 4: {Number: 4, Compose: web("nginx:4")}},
	}
	sb := sandbox.New(sandbox.Instant)
	s := &Steps{Store: st, Rollouts: st, Cloud: sb, Now: func() time.Time { return takeoverNow }}
	register := func(release int) (string, error) {
		r, err := s.load(ctx, Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog"}})
		if err != nil {
			t.Fatal(err)
		}
		env, _ := r.env(apps.ProductionEnvironment)
		return s.taskDefinition(ctx, r, env, release)
	}
	revisions := func() []string {
		var out []string
		for _, res := range sb.Resources() {
			if res.Kind == cloud.KindTaskDefinition {
				out = append(out, res.Name)
			}
		}
		return out
	}
	recorded := func() []string {
		var out []string
		for _, ref := range st.env(apps.ProductionEnvironment).Resources {
			out = append(out, ref.Name)
		}
		return out
	}
	lost := fmt.Errorf("read: connection reset by peer: %w", cloud.ErrUnavailable)

	sb.FaultAfter("RegisterTaskDefinition", lost)
	if _, err := register(2); errName(err) != ErrCloudUnavailable {
		t.Fatalf("a lost answer: %v, want %s", err, ErrCloudUnavailable)
	}
	sb.ClearFaults()
	arn, err := register(2)
	if err != nil {
		t.Fatal(err)
	}
	if got := revisions(); len(got) != 1 || !strings.HasSuffix(arn, got[0]) {
		t.Fatalf("revisions %v, release 2 runs %s: want the lost revision adopted, not another", got, arn)
	}
	if st.releases[2].TaskDefinitionARN != arn || !slices.Equal(recorded(), revisions()) {
		t.Errorf("release 2 records %q; the environment holds %v of %v", st.releases[2].TaskDefinitionARN, recorded(), revisions())
	}

	// Release 3's registration is lost and its deployment ends; release 4
	// registers its own revision and records release 3's.
	sb.FaultAfter("RegisterTaskDefinition", lost)
	if _, err := register(3); err == nil {
		t.Fatal("a lost answer succeeded")
	}
	sb.ClearFaults()
	arn, err = register(4)
	if err != nil {
		t.Fatal(err)
	}
	if got := revisions(); len(got) != 3 || !strings.HasSuffix(arn, got[2]) || !slices.Equal(recorded(), got) {
		t.Errorf("revisions %v, release 4 runs %s, the environment holds %v: want release 4's own, and every one recorded", got, arn, recorded())
	}
}
