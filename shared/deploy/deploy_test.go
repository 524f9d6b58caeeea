package deploy

import (
	"encoding/json"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
)

func TestRetagKeepsEachImagesRepository(t *testing.T) {
	d := compose.Definition{Containers: []compose.Container{
		{Name: "app", ImageReference: &compose.ImageReference{Type: compose.ImageInternal, Identifier: "web-pr-1"}},
		{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx:1.27"}},
		{Name: "reg", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "registry.example.com:5000/team/api"}},
		{Name: "pin", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "redis:7@sha256:0123"}},
	}}
	Retag(&d, "v2")
	want := []string{"v2", "nginx:v2", "registry.example.com:5000/team/api:v2", "redis:v2"}
	for i, c := range d.Containers {
		if c.ImageReference.Identifier != want[i] {
			t.Errorf("%s: %s, want %s", c.Name, c.ImageReference.Identifier, want[i])
		}
	}
	if got := Images(d); len(got) != 4 || got[1] != "nginx:v2" {
		t.Errorf("Images: %v", got)
	}
}

func TestDigestFollowsTheDefinition(t *testing.T) {
	a := compose.Definition{Containers: []compose.Container{{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx:1"}}}}
	b := a.Clone()
	if Digest(a) != Digest(b) || len(Digest(a)) != 64 {
		t.Fatalf("equal definitions: %s, %s", Digest(a), Digest(b))
	}
	b.Containers[0].ImageReference.Identifier = "nginx:2"
	if Digest(a) == Digest(b) {
		t.Fatal("a changed image kept the digest")
	}
}

func TestDesiredCount(t *testing.T) {
	three, five := 3, 5
	rel := []Release{{Compose: compose.Definition{MinCapacity: &three, MaxCapacity: &five}}}
	running := apps.Environment{DesiredCount: 2, MinCapacity: 1, MaxCapacity: 4}
	stopped := running
	stopped.Stopped, stopped.StoppedCount, stopped.DesiredCount = true, 2, 0
	for _, c := range []struct {
		name     string
		env      apps.Environment
		action   Action
		releases []Release
		want     int
	}{
		{"stop", running, ActionStop, nil, 0},
		{"start restores the count from before the stop", stopped, ActionStart, nil, 2},
		{"redeploy keeps the count", running, ActionRedeploy, nil, 2},
		{"a release raises the count to its minimum", running, ActionDeploy, rel, 3},
		{"a change to a stopped environment stays stopped", stopped, ActionDeploy, rel, 0},
	} {
		if got := desired(c.env, c.action, c.releases); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestReleaseNumbers(t *testing.T) {
	for s, ok := range map[string]bool{"1": true, "42": true, "0": false, "01": false, "-1": false, "x": false, "": false, "+3": false} {
		if _, err := ReleaseNumber(s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestUnitsTakeIntegersAndNumericStrings(t *testing.T) {
	var p PatchRequest
	if err := json.Unmarshal([]byte(`{"taskCpu":"512","taskMemory":1024}`), &p); err != nil {
		t.Fatal(err)
	}
	d := p.Definition()
	if *d.TaskCPU != 512 || *d.TaskMemory != 1024 {
		t.Fatalf("%d %d", *d.TaskCPU, *d.TaskMemory)
	}
	var u *Units
	for doc, ok := range map[any]bool{"512": true, json.Number("1024"): true, "lots": false, true: false, json.Number("1.5"): false} {
		if rule := u.ShapeRule(doc); (rule == "") != ok {
			t.Errorf("%v: %q", doc, rule)
		}
	}
}
