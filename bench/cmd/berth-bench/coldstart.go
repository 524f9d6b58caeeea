package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/boot"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/berth-dev/berth/bench/load"
	"github.com/berth-dev/berth/bench/runtimeapi"
)

// releaseFlags are the Makefile's build flags for a Lambda bootstrap.
var releaseFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// The baselines' binary names: floor (hello with one DynamoDB GetItem) is
// the reference of every goal; hello is shown beside it.
const (
	hello = "hello"
	floor = "floor"
)

// Builds are the binaries of one run: Host (this machine's arch, for cold
// starts) and ARM64 (linux/arm64, for sizes), by function name.
type Builds struct {
	Dir       string
	Functions []string
	Host      map[string]string
	ARM64     map[string]string
}

func build() (*Builds, error) {
	dir, err := os.MkdirTemp("", "berth-bench-")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("functions")
	if err != nil {
		return nil, fmt.Errorf("run from the repository root: %w", err)
	}
	b := &Builds{Dir: dir, Host: map[string]string{}, ARM64: map[string]string{}}
	for _, e := range entries {
		if e.IsDir() {
			b.Functions = append(b.Functions, e.Name())
		}
	}
	for _, target := range []struct {
		goarch string
		into   map[string]string
		pkgs   []string
	}{{runtime.GOARCH, b.Host, []string{"./functions/...", "./bench/hello", "./bench/floor"}}, {"arm64", b.ARM64, []string{"./functions/...", "./bench/hello", "./bench/floor"}}} {
		out := filepath.Join(dir, target.goarch) + string(filepath.Separator)
		args := append(append([]string{"build"}, releaseFlags...), "-o", out)
		cmd := exec.Command("go", append(args, target.pkgs...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+target.goarch)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go build for linux/%s: %w", target.goarch, err)
		}
		for _, fn := range append(slices.Clone(b.Functions), hello, floor) {
			if p := filepath.Join(out, fn); fileExists(p) {
				target.into[fn] = p
			}
		}
	}
	return b, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Size is one function's linux/arm64 bootstrap, or a baseline's.
type Size struct {
	Function  string  `json:"function"`
	RawMiB    float64 `json:"rawMiB"`
	ZippedMiB float64 `json:"zippedMiB"`
	// Ratio is RawMiB over the floor's.
	Ratio float64 `json:"ratio,omitempty"`
	Limit float64 `json:"limit,omitempty"`
	// Meets is nil for a reference, which has no goal.
	Meets     *bool `json:"meetsGoal,omitempty"`
	Reference bool  `json:"reference,omitempty"`
}

const mib = 1 << 20

func measureSizes(b *Builds) ([]Size, error) {
	var out []Size
	floorRaw, err := os.Stat(b.ARM64[floor])
	if err != nil {
		return nil, err
	}
	for _, fn := range append(slices.Clone(b.Functions), hello, floor) {
		p := b.ARM64[fn]
		raw, err := os.ReadFile(p)
		if err != nil {
			return out, err
		}
		// As the deployment package: one entry named bootstrap, deflated.
		var zbuf bytes.Buffer
		zw := zip.NewWriter(&zbuf)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return out, err
		}
		if _, err := w.Write(raw); err != nil {
			return out, err
		}
		if err := zw.Close(); err != nil {
			return out, err
		}
		s := Size{Function: fn, RawMiB: round(float64(len(raw))/mib, 2), ZippedMiB: round(float64(zbuf.Len())/mib, 2)}
		if s.Reference = fn == hello || fn == floor; !s.Reference {
			s.Ratio = round(float64(len(raw))/float64(floorRaw.Size()), 3)
			s.Limit = limitsOf(fn).Size
			meets := s.Ratio <= s.Limit
			s.Meets = &meets
		}
		out = append(out, s)
	}
	return out, nil
}

// ColdStart is process start to the first GET /invocation/next.
type ColdStart struct {
	Starts    int     `json:"startsPerFunction"`
	HelloP50  float64 `json:"helloP50Ms"`
	HelloP90  float64 `json:"helloP90Ms"`
	HelloInit *Init   `json:"helloInit,omitempty"`
	// FloorP50 and FloorP90 are bench/floor's, the ratios' reference.
	FloorP50  float64         `json:"floorP50Ms"`
	FloorP90  float64         `json:"floorP90Ms"`
	FloorInit *Init           `json:"floorInit,omitempty"`
	Functions []FunctionStart `json:"functions"`
}

// FunctionStart is one function's cold start and init allocations.
type FunctionStart struct {
	Function string  `json:"function"`
	P50ms    float64 `json:"p50Ms"`
	P90ms    float64 `json:"p90Ms"`
	RatioP50 float64 `json:"ratioP50"`
	RatioP90 float64 `json:"ratioP90"`
	// Limit is the goal for both ratios: 1.15 for API functions, 1.25 for steps.
	Limit float64 `json:"limit"`
	Meets bool    `json:"meetsGoal"`
	Init  *Init   `json:"init,omitempty"`
}

// Init is the sum of GODEBUG=inittrace=1's package inits.
type Init struct {
	Packages int       `json:"packages"`
	ClockMs  float64   `json:"clockMs"`
	Bytes    int64     `json:"bytes"`
	Allocs   int64     `json:"allocs"`
	Top      []PkgInit `json:"topByClock"`
}

// PkgInit is one package's init.
type PkgInit struct {
	Package string  `json:"package"`
	ClockMs float64 `json:"clockMs"`
	Bytes   int64   `json:"bytes"`
	Allocs  int64   `json:"allocs"`
}

// lambdaEnv is what every function needs to get past its init.
func lambdaEnv(api string) []string {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api, "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"BERTH_TABLE_NAME=berth", "BERTH_USAGE_PLAN=berth-tokens",
		"BERTH_PLATFORM_DOMAIN=bench.example", "BERTH_TASK_EXECUTION_ROLE_ARN=arn:aws:iam::123456789012:role/exec",
		"BERTH_VPC_ID=vpc-1", "BERTH_TASK_SUBNET_IDS=subnet-1,subnet-2", "BERTH_CLUSTER_ARN=arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
		"BERTH_ACCOUNT_ID=123456789012", "BERTH_ALB_SECURITY_GROUP_ID=sg-1", "BERTH_LISTENER_ARN=arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/y/z",
		"BERTH_DB_SUBNET_GROUP=db", "BERTH_DB_SECURITY_GROUP_ID=sg-2", "BERTH_EFS_SECURITY_GROUP_ID=sg-3",
		// The data, shell and cron routes' own.
		boot.EnvBackupsBucket + "=berth-backups", boot.EnvShellRoleARN + "=arn:aws:iam::123456789012:role/berth-shell",
		boot.EnvSchedulerRoleARN + "=arn:aws:iam::123456789012:role/berth-scheduler",
	}
	for _, w := range apps.Workflows {
		env = append(env, boot.StateMachineEnv(w)+"=arn:aws:states:eu-west-1:123456789012:stateMachine:"+string(w))
	}
	return env
}

// startOnce starts bin under a fresh Runtime API and returns the time from
// just before the fork to the first poll of /invocation/next.
func startOnce(bin string, extraEnv []string, stderr io.Writer) (time.Duration, error) {
	api, err := runtimeapi.New()
	if err != nil {
		return 0, err
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(lambdaEnv(api.Addr()), extraEnv...)
	cmd.Stdout = io.Discard
	cmd.Stderr = stderr
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case <-api.Ready():
		return api.FirstNext().Sub(start), nil
	case msg := <-api.InitError():
		return 0, fmt.Errorf("%s: init error %s", filepath.Base(bin), msg)
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("%s exited before its first next: %v", filepath.Base(bin), err)
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("%s: no first next within 10 s", filepath.Base(bin))
	}
}

func coldStarts(b *Builds, n int) (*ColdStart, error) {
	names := append([]string{hello, floor}, b.Functions...)
	times := map[string][]time.Duration{}
	// One warm-up start each (page cache), not counted.
	for _, fn := range names {
		if _, err := startOnce(b.Host[fn], nil, io.Discard); err != nil {
			return nil, err
		}
	}
	// Interleaved, so drift in the machine's load hits every function alike.
	for range n {
		for _, fn := range names {
			d, err := startOnce(b.Host[fn], nil, io.Discard)
			if err != nil {
				return nil, err
			}
			times[fn] = append(times[fn], d)
		}
	}
	cs := &ColdStart{Starts: n}
	pct := func(fn string, p float64) float64 {
		d := slices.Sorted(slices.Values(times[fn]))
		return round(float64(load.Percentile(d, p))/1e6, 3)
	}
	cs.HelloP50, cs.HelloP90 = pct(hello, 50), pct(hello, 90)
	var err error
	if cs.HelloInit, err = initTrace(b.Host[hello]); err != nil {
		return cs, err
	}
	cs.FloorP50, cs.FloorP90 = pct(floor, 50), pct(floor, 90)
	if cs.FloorInit, err = initTrace(b.Host[floor]); err != nil {
		return cs, err
	}
	for _, fn := range b.Functions {
		f := FunctionStart{Function: fn, P50ms: pct(fn, 50), P90ms: pct(fn, 90)}
		f.RatioP50, f.RatioP90 = round(f.P50ms/cs.FloorP50, 2), round(f.P90ms/cs.FloorP90, 2)
		f.Limit = limitsOf(fn).ColdStart
		f.Meets = f.RatioP50 <= f.Limit && f.RatioP90 <= f.Limit
		init, err := initTrace(b.Host[fn])
		if err != nil {
			return cs, err
		}
		f.Init = init
		cs.Functions = append(cs.Functions, f)
	}
	return cs, nil
}

var initLine = regexp.MustCompile(`^init (\S+) @[\d.]+ ms, ([\d.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// initTrace starts bin once with GODEBUG=inittrace=1 and sums its package inits.
func initTrace(bin string) (*Init, error) {
	var stderr bytes.Buffer
	if _, err := startOnce(bin, []string{"GODEBUG=inittrace=1"}, &stderr); err != nil {
		return nil, err
	}
	in := &Init{}
	var all []PkgInit
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		clock, _ := strconv.ParseFloat(m[2], 64)
		by, _ := strconv.ParseInt(m[3], 10, 64)
		al, _ := strconv.ParseInt(m[4], 10, 64)
		all = append(all, PkgInit{Package: m[1], ClockMs: clock, Bytes: by, Allocs: al})
		in.Packages++
		in.ClockMs += clock
		in.Bytes += by
		in.Allocs += al
	}
	in.ClockMs = round(in.ClockMs, 3)
	slices.SortFunc(all, func(a, b PkgInit) int { return -cmpFloat(a.ClockMs, b.ClockMs) })
	in.Top = all[:min(5, len(all))]
	if in.Packages == 0 {
		return nil, fmt.Errorf("%s: no inittrace output", filepath.Base(bin))
	}
	return in, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v >= 0 {
		return float64(int64(v*p+0.5)) / p
	}
	return -float64(int64(-v*p+0.5)) / p
}
