package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

type config struct {
	N, Parallel int
	Timeout     time.Duration
	Faults      sandbox.Faults
	Log         *slog.Logger
}

type faultCounts struct {
	Calls    int
	Injected int
	Kinds    map[string]int
}

// report is one run's outcome.
type report struct {
	N, Converged   int
	Failures       []string
	Orphans, Stuck []string
	ServerErrors   int64
	Requests       int64
	Faults         faultCounts
	Elapsed        time.Duration
}

func (r report) ok() bool {
	return r.Converged == r.N && len(r.Orphans) == 0 && len(r.Stuck) == 0 && r.ServerErrors == 0
}

// client calls the local stack's handler in process as a well-behaved
// API client does: it waits out 429 and 503 (Retry-After) and retries
// them, and counts every 5xx.
type client struct {
	h            http.Handler
	token, org   string
	serverErrors atomic.Int64
	requests     atomic.Int64
}

func (c *client) do(method, path string, body any) (int, []byte) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body) // the bodies here always encode
	}
	for attempt := 0; ; attempt++ {
		req := httptest.NewRequest(method, "/api/v3/organizations/"+c.org+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+c.token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, req)
		c.requests.Add(1)
		if rec.Code >= 500 {
			c.serverErrors.Add(1)
		}
		if (rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusServiceUnavailable) && attempt < 20 {
			wait, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 0))*time.Second/10 + 50*time.Millisecond) // a tenth: the sandbox's time runs fast
			continue
		}
		return rec.Code, rec.Body.Bytes()
	}
}

func (c *client) status(path string) (int, string) {
	code, st, _ := c.statusWhy(path)
	return code, st
}

// statusWhy is status with the record's statusReason.
func (c *client) statusWhy(path string) (int, string, string) {
	code, body := c.do(http.MethodGet, path, nil)
	var v struct {
		Status string `json:"status"`
		Reason string `json:"statusReason"`
	}
	_ = json.Unmarshal(body, &v)
	return code, v.Status, v.Reason
}

// waitFor polls path until its status is want ("GONE": a 404), or a
// terminal status that is not, or the deadline.
func (c *client) waitFor(path, want string, deadline time.Time) error {
	for {
		code, st, why := c.statusWhy(path)
		switch {
		case want == "GONE" && code == http.StatusNotFound, code == http.StatusOK && st == want:
			return nil
		case st == "FAILED" || st == "DELETE_FAILED":
			return fmt.Errorf("%s is %s (%s), want %s", path, st, why, want)
		case time.Now().After(deadline):
			return fmt.Errorf("%s still %d %s after the timeout, want %s", path, code, st, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// change sends a change to env that starts a deployment, and waits for it to succeed.
func (c *client) change(method, env, path string, body any, deadline time.Time) error {
	for {
		code, out := c.do(method, env+path, body)
		if code == http.StatusConflict && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond) // a deployment runs: one at a time
			continue
		}
		if code != http.StatusAccepted {
			return fmt.Errorf("%s %s%s: %d %s", method, env, path, code, out)
		}
		var dep struct {
			Deployment int `json:"deployment"`
		}
		_ = json.Unmarshal(out, &dep)
		return c.waitFor(env+"/deployments/"+strconv.Itoa(dep.Deployment), "SUCCEEDED", deadline)
	}
}

// lifecycle i is one of three mixes, by i mod 3.
func (c *client) lifecycle(i int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	name := fmt.Sprintf("app-%d", i)
	app := "/applications/" + name
	containers := []map[string]any{{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80}}}
	body := map[string]any{"appName": name, "composeDefinition": map[string]any{"containers": containers}}
	if i%3 == 0 {
		body["database"] = map[string]any{"engine": "postgres", "instanceClass": "db.t4g.micro", "storageGb": 20}
		body["filesystem"] = map[string]any{"required": true, "mountPath": "/data/shared"}
	}
	if code, out := c.do(http.MethodPost, "/applications", body); code != http.StatusCreated {
		return fmt.Errorf("create %s: %d %s", name, code, out)
	}
	if err := c.waitFor(app, "ACTIVE", deadline); err != nil {
		return err
	}
	prod := app + "/environments/production"
	switch i % 3 {
	case 0: // configuration: a variable, as a release deployed
		if err := c.change(http.MethodPut, prod, "/variables/CHAOS", map[string]any{"value": strconv.Itoa(i)}, deadline); err != nil {
			return err
		}
	case 1: // a second environment, created and deleted
		if code, out := c.do(http.MethodPost, app+"/environments", map[string]any{"envName": "staging", "cloneConfigurationFrom": "production"}); code != http.StatusCreated {
			return fmt.Errorf("create %s/staging: %d %s", name, code, out)
		}
		if err := c.waitFor(app+"/environments/staging", "ACTIVE", deadline); err != nil {
			return err
		}
		if code, out := c.do(http.MethodDelete, app+"/environments/staging", nil); code != http.StatusAccepted {
			return fmt.Errorf("delete %s/staging: %d %s", name, code, out)
		}
		if err := c.waitFor(app+"/environments/staging", "GONE", deadline); err != nil {
			return err
		}
	case 2: // a stop and a start
		for _, action := range []string{"stop", "start"} {
			if err := c.change(http.MethodPut, prod, "/state", map[string]any{"action": action}, deadline); err != nil {
				return err
			}
		}
	}
	if code, out := c.do(http.MethodDelete, app, nil); code != http.StatusAccepted {
		return fmt.Errorf("delete %s: %d %s", name, code, out)
	}
	return c.waitFor(app, "GONE", deadline)
}

// run starts a local stack whose sandbox has cfg's faults and runs the lifecycles.
func run(ctx context.Context, cfg config) (report, error) {
	p := sandbox.Instant
	p.Faults = cfg.Faults
	stack, err := localstack.Start(ctx, localstack.Config{
		Table: "berth-chaos", RunWorkflows: true, Sandbox: sandbox.New(p), NoWaits: true, Log: cfg.Log, RateLimit: 100000,
	})
	if err != nil {
		return report{}, err
	}
	defer func() { _ = stack.Close() }()
	tok, id, secret := auth.NewSecret()
	rec := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{"chaos"}, Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()}
	if err := (&store.Table{Client: stack.Client, Name: stack.Table}).CreateToken(ctx, rec); err != nil {
		return report{}, err
	}
	c := &client{h: stack.Handler, token: tok, org: "chaos"}
	r := report{N: cfg.N}
	var mu sync.Mutex
	sem := make(chan struct{}, cfg.Parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.N {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := c.lifecycle(i, cfg.Timeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failures = append(r.Failures, err.Error())
				return
			}
			r.Converged++
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	// Every application was deleted: what the sandbox still holds has no record.
	for _, res := range stack.Local.Sandbox.Resources() {
		r.Orphans = append(r.Orphans, string(res.Kind)+" "+res.Name)
	}
	// And no record may be left in a transitional (or any) state.
	code, body := c.do(http.MethodGet, "/applications?limit=100", nil)
	var apps []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &apps); code != http.StatusOK || err != nil {
		return r, fmt.Errorf("list applications: %d %s", code, body)
	}
	for _, a := range apps {
		r.Stuck = append(r.Stuck, a.Name+" "+a.Status)
	}
	st := stack.Local.Sandbox.FaultStats()
	r.Faults = faultCounts{Calls: st.Calls, Kinds: st.Injected}
	for _, n := range st.Injected {
		r.Faults.Injected += n
	}
	r.ServerErrors, r.Requests = c.serverErrors.Load(), c.requests.Load()
	return r, nil
}
