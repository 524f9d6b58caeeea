package compose

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/validation"
)

func container(name string) Container {
	return Container{Name: name, ImageReference: &ImageReference{Type: ImageExternal, Identifier: "nginx"}}
}

func TestValidFargate(t *testing.T) {
	cases := []struct {
		cpu, mem int
		want     bool
	}{
		{256, 512, true}, {256, 2048, true}, {256, 1536, false}, {256, 4096, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false},
		{1024, 8192, true}, {2048, 16384, true}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 16384, true}, {8192, 20480, true}, {8192, 18432, false},
		{16384, 122880, true}, {16384, 36864, false}, {300, 512, false},
	}
	for _, tc := range cases {
		if got := ValidFargate(tc.cpu, tc.mem); got != tc.want {
			t.Errorf("ValidFargate(%d, %d) = %v, want %v", tc.cpu, tc.mem, got, tc.want)
		}
	}
}

func TestNormalizePicksTheSmallestFargateSize(t *testing.T) {
	cases := map[string]struct {
		cpu, mem         []int // per container; 0 = unset
		taskCPU, taskMem int   // 0 = unset
		wantCPU, wantMem int
	}{
		"nothing set":            {[]int{0}, []int{0}, 0, 0, 256, 512},
		"memory only":            {[]int{0, 0}, []int{1024, 1024}, 0, 0, 256, 2048},
		"more memory than 256":   {[]int{0}, []int{3000}, 0, 0, 512, 3072},
		"cpu only":               {[]int{700}, []int{0}, 0, 0, 1024, 2048},
		"fixed cpu, memory fits": {[]int{0}, []int{3000}, 1024, 0, 1024, 3072},
		"fixed memory":           {[]int{600}, []int{0}, 0, 4096, 1024, 4096},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var d Definition
			for i := range tc.cpu {
				c := container(string(rune('a' + i)))
				if tc.cpu[i] > 0 {
					c.CPU = ptr(tc.cpu[i])
				}
				if tc.mem[i] > 0 {
					c.Memory = ptr(tc.mem[i])
				}
				d.Containers = append(d.Containers, c)
			}
			if tc.taskCPU > 0 {
				d.TaskCPU = ptr(tc.taskCPU)
			}
			if tc.taskMem > 0 {
				d.TaskMemory = ptr(tc.taskMem)
			}
			errs := validation.Errors{}
			d.Normalize(Context{}, errs, "")
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if *d.TaskCPU != tc.wantCPU || *d.TaskMemory != tc.wantMem {
				t.Fatalf("size %d/%d, want %d/%d", *d.TaskCPU, *d.TaskMemory, tc.wantCPU, tc.wantMem)
			}
		})
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	d := Definition{Containers: []Container{container("web"), container("worker")}}
	d.Containers[0].HealthCheck = &HealthCheck{Command: []string{"CMD", "true"}}
	d.Containers[1].DependsOn = []Dependency{{ContainerName: "web", Condition: ptr(ConditionHealthy)}}
	errs := validation.Errors{}
	d.Normalize(Context{}, errs, "")
	first := d
	d.Normalize(Context{}, errs, "")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if *first.TaskCPU != *d.TaskCPU || *d.Containers[0].HealthCheck.Interval != DefaultInterval || !*d.Containers[1].Essential {
		t.Fatalf("second Normalize changed the definition: %+v", d)
	}
}

func TestDependencyCycleNamesTheLoop(t *testing.T) {
	d := Definition{Containers: []Container{container("a"), container("b"), container("c")}}
	d.Containers[0].DependsOn = []Dependency{{ContainerName: "b"}}
	d.Containers[1].DependsOn = []Dependency{{ContainerName: "c"}}
	d.Containers[2].DependsOn = []Dependency{{ContainerName: "a"}}
	errs := validation.Errors{}
	d.Normalize(Context{}, errs, "composeDefinition")
	rules := strings.Join(errs["composeDefinition.containers"], "; ")
	if !strings.Contains(rules, "a -> b -> c -> a") {
		t.Fatalf("cycle not named: %v", errs)
	}
}

func TestApplyImageSuffix(t *testing.T) {
	d := Definition{Containers: []Container{
		{Name: "nginx", ImageReference: &ImageReference{Type: ImageInternal, Identifier: "latest"}},
		{Name: "redis", ImageReference: &ImageReference{Type: ImageExternal, Identifier: "redis:7"}},
	}}
	d.ApplyImageSuffix("pr-456")
	if got := d.Containers[0].ImageReference.Identifier; got != "nginx-pr-456" {
		t.Errorf("internal tag %q, want nginx-pr-456", got)
	}
	if got := d.Containers[1].ImageReference.Identifier; got != "redis:7" {
		t.Errorf("external image %q, want it unchanged", got)
	}
}

func TestMountsOfEnvironmentVolumes(t *testing.T) {
	d := Definition{Containers: []Container{container("web")}}
	d.Containers[0].MountPoints = []MountPoint{{SourceVolume: "uploads", ContainerPath: "/uploads"}, {SourceVolume: "data", ContainerPath: "/data"}}
	errs := validation.Errors{}
	d.Normalize(Context{Filesystem: true, FilesystemMountPath: "/mnt/data", Volumes: []string{"uploads"}}, errs, "")
	if len(errs) > 0 {
		t.Fatalf("an existing environment volume was refused: %v", errs)
	}
}

// TestCloneSharesNothing changes every reference field of a clone and
// checks the original is untouched, by comparing JSON before and after.
func TestCloneSharesNothing(t *testing.T) {
	raw, err := os.ReadFile("../../docs/examples/create-application.json")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ComposeDefinition Definition `json:"composeDefinition"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	orig := body.ComposeDefinition
	orig.Normalize(Context{Filesystem: true, FilesystemMountPath: "/data/shared"}, validation.Errors{}, "")
	before, _ := json.Marshal(orig)

	c := orig.Clone()
	*c.Architecture, *c.TaskCPU = "X", 1
	for i := range c.Containers {
		k := &c.Containers[i]
		k.ImageReference.Identifier = "changed"
		*k.Essential = false
		if k.CPU != nil {
			*k.CPU = 1
		}
		if k.Memory != nil {
			*k.Memory = 1
		}
		for j := range k.ExposedPorts {
			k.ExposedPorts[j] = 1
		}
		for j := range k.Environment {
			*k.Environment[j].Value = "changed"
		}
		for j := range k.MountPoints {
			k.MountPoints[j].ContainerPath = "/changed"
		}
		for j := range k.Secrets {
			k.Secrets[j].ValueFrom = "changed"
		}
		for j := range k.DependsOn {
			*k.DependsOn[j].Condition = "changed"
		}
		if k.HealthCheck != nil {
			*k.HealthCheck.Interval = 1
			k.HealthCheck.Command[0] = "changed"
		}
	}
	after, _ := json.Marshal(orig)
	if string(before) != string(after) {
		t.Fatalf("changing the clone changed the original:\n%s\n%s", before, after)
	}
}

// TestCloneCopiesEveryField fills every field of a definition, however
// deep, clones it, changes every value the clone reaches, and checks the
// original kept each one: a field added later without a line in Clone
// fails here.
func TestCloneCopiesEveryField(t *testing.T) {
	var orig Definition
	fill(reflect.ValueOf(&orig).Elem(), 0)
	before, _ := json.Marshal(orig)
	c := orig.Clone()
	mutate(reflect.ValueOf(&c).Elem())
	if after, _ := json.Marshal(orig); string(after) != string(before) {
		t.Fatalf("changing the clone changed the original:\nbefore %s\nafter  %s", before, after)
	}
	if again, _ := json.Marshal(c); string(again) == string(before) {
		t.Fatal("mutate changed nothing; the test proves nothing")
	}
}

// fill gives every field a non-zero value: pointers point, slices hold two.
func fill(v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), n+i)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fill(v.Index(i), n+i)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", n))
	case reflect.Int:
		v.SetInt(int64(n + 1))
	case reflect.Bool:
		v.SetBool(true)
	}
}

// mutate changes every value reachable from v in place.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			mutate(v.Field(i))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			mutate(v.Index(i))
		}
	case reflect.String:
		v.SetString(v.String() + "-changed")
	case reflect.Int:
		v.SetInt(v.Int() + 1000)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}
