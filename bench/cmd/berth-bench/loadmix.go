package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/bench/load"
	"github.com/berth-dev/berth/shared/apps"
)

// LoadMixReport is the mixed read and write load: API use as it looks in
// practice, open loop, across several organisations, each with its own
// token at the default rate limit.
type LoadMixReport struct {
	Setup   string  `json:"setup"`
	Rate    float64 `json:"offeredRate"`
	Seconds float64 `json:"seconds"`
	// SentRate is requests over the generator's send span; AnsweredRate
	// is answers over the time from the first send to the last answer.
	SentRate     float64 `json:"sentRate"`
	AnsweredRate float64 `json:"answeredRate"`
	Requests     int     `json:"requests"`
	// Late arrivals were sent load.LateAfter or more behind schedule.
	Late       int            `json:"lateArrivals"`
	MaxLagMs   float64        `json:"generatorMaxLagMs"`
	P50ms      float64        `json:"p50Ms"`
	P99ms      float64        `json:"p99Ms"`
	Classes    statusClasses  `json:"classes"`
	Operations []MixOperation `json:"operations"`
	// Samples are the first few answers ≥500 and requests unanswered.
	Samples []string `json:"samples,omitempty"`
	Unmet   []string `json:"unmet,omitempty"`
	Meets   bool     `json:"meetsGoal"`
}

// MixOperation is one operation's share of the mix and what it got.
type MixOperation struct {
	Name     string         `json:"name"`
	Write    bool           `json:"write"`
	Requests int            `json:"requests"`
	Classes  statusClasses  `json:"classes"`
	Statuses map[string]int `json:"statuses"`
	P50ms    float64        `json:"p50Ms"`
	P99ms    float64        `json:"p99Ms"`
}

// mixOrgs is how many organisations (and tokens) share the load: at 200
// rps, 25 each, under the default 50/s a token.
const mixOrgs = 8

// mixRequest is one request of the mix, as its operation builds it.
type mixRequest struct {
	method, path string
	body         []byte
	header       map[string]string
}

// mixOp is one kind of request and its share of the mix, in percent.
type mixOp struct {
	name   string
	weight int
	write  bool
	build  func(o *mixOrg) mixRequest
}

// mixOrg is one organisation's token and targets. Envs are ACTIVE
// environments: the first sets of them take one variable each (so each
// starts a deployment, with none running), the rest are deleted one each;
// reads go to the first part. New environments go to growing applications.
type mixOrg struct {
	name, tok              string
	envs                   []string // application/environment
	sets                   int      // how many of envs are for set-variable
	pool                   []string // the applications envs are in
	grow                   []string // applications with room for new environments
	nSet, nDel, nEnv, nApp atomic.Int64
}

func (o *mixOrg) readEnv() string { return o.envs[rand.IntN(max(o.sets, 1))] }

// readApp is one of the applications with the read targets.
func (o *mixOrg) readApp() string {
	return o.pool[rand.IntN(max(o.sets/envsPerApp, 1))]
}

// The mix: about 80 % reads and 20 % writes.
func mixOps(appBody []byte) []mixOp {
	get := func(path string) mixRequest { return mixRequest{method: http.MethodGet, path: path} }
	return []mixOp{
		{name: "get application", weight: 20, build: func(o *mixOrg) mixRequest { return get("/applications/" + o.readApp()) }},
		{name: "get environment", weight: 20, build: func(o *mixOrg) mixRequest { return get(envPath(o.readEnv())) }},
		{name: "list environments", weight: 15, build: func(o *mixOrg) mixRequest { return get("/applications/" + o.readApp() + "/environments") }},
		{name: "list deployments", weight: 10, build: func(o *mixOrg) mixRequest { return get(envPath(o.readEnv()) + "/deployments") }},
		{name: "list operations", weight: 5, build: func(o *mixOrg) mixRequest { return get(envPath(o.readEnv()) + "/operations") }},
		{name: "list variables", weight: 10, build: func(o *mixOrg) mixRequest { return get(envPath(o.readEnv()) + "/variables") }},
		{name: "create environment", weight: 6, write: true, build: func(o *mixOrg) mixRequest {
			n := int(o.nEnv.Add(1))
			name := "n" + strconv.Itoa(n)
			body := `{"envName":"` + name + `","cloneConfigurationFrom":"production","imageSuffix":"` + name + `","minCapacity":1,"maxCapacity":1}`
			return mixRequest{method: http.MethodPost, path: "/applications/" + o.grow[min(n/perApp, len(o.grow)-1)] + "/environments", body: []byte(body)}
		}},
		{name: "set variable", weight: 6, write: true, build: func(o *mixOrg) mixRequest {
			n := int(o.nSet.Add(1)) - 1
			return mixRequest{method: http.MethodPut, path: envPath(o.envs[n%max(o.sets, 1)]) + "/variables/MIX_RUN",
				body: []byte(`{"value":"` + strconv.Itoa(n) + `"}`)}
		}},
		{name: "delete environment", weight: 4, write: true, build: func(o *mixOrg) mixRequest {
			n := int(o.nDel.Add(1)) - 1
			env := o.envs[o.sets+n%max(len(o.envs)-o.sets, 1)]
			return mixRequest{method: http.MethodDelete, path: envPath(env), header: map[string]string{"Idempotency-Key": "mix-delete-" + env}}
		}},
		{name: "create application", weight: 4, write: true, build: func(o *mixOrg) mixRequest {
			// Every fourth repeats the one before, key and body: a client's
			// retry, while the first may still be in flight.
			n := int(o.nApp.Add(1))
			if n%4 == 0 {
				n--
			}
			name := "c" + strconv.Itoa(n)
			return mixRequest{method: http.MethodPost, path: "/applications", header: map[string]string{"Idempotency-Key": "mix-create-" + name},
				body: appNamed(appBody, name)}
		}},
	}
}

func envPath(appEnv string) string {
	app, env, _ := strings.Cut(appEnv, "/")
	return "/applications/" + app + "/environments/" + env
}

// envsPerApp is how many environments the read and change targets' applications
// have: a handful, as most do, not the 50 an application may have.
const envsPerApp = 10

// mixPlan is the operation of each request: the weights' shares, in an
// order shuffled once, so that reads and writes interleave.
func mixPlan(ops []mixOp, n int, seed uint64) []int {
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	plan := make([]int, 0, n)
	for k, op := range ops {
		plan = append(plan, slices.Repeat([]int{k}, int(math.Round(float64(n)*float64(op.weight)/float64(total))))...)
	}
	for len(plan) < n {
		plan = append(plan, 0)
	}
	plan = plan[:n]
	rand.New(rand.NewPCG(seed, seed)).Shuffle(n, func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan
}

func loadMix(rate float64, d time.Duration) (*LoadMixReport, error) {
	ctx := context.Background()
	stack, err := startLoadStack(ctx, 0)
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	appBody, err := os.ReadFile("docs/examples/create-application.json")
	if err != nil {
		return nil, err
	}
	ops := mixOps(appBody)
	n := int(math.Round(rate * d.Seconds()))
	plan := mixPlan(ops, n, 1)
	// Each organisation's targets, sized to its share of the plan.
	count := make([][]int, mixOrgs)
	for i := range count {
		count[i] = make([]int, len(ops))
	}
	for i, k := range plan {
		count[i%mixOrgs][k]++
	}
	of := func(org int, name string) int {
		return count[org][slices.IndexFunc(ops, func(op mixOp) bool { return op.name == name })]
	}
	fmt.Fprintf(os.Stderr, "berth-bench: mixed load: preparing %d organisations\n", mixOrgs)
	orgs := make([]*mixOrg, mixOrgs)
	for i := range orgs {
		if orgs[i], err = prepareMixOrg(ctx, stack, "mix"+strconv.Itoa(i), appBody,
			of(i, "set variable"), of(i, "delete environment"), of(i, "create environment")); err != nil {
			return nil, fmt.Errorf("preparing the mixed load: %w", err)
		}
	}

	// Warm up the JVM and connections with reads; not counted.
	load.Run(ctx, rate, 2*time.Second, func(ctx context.Context, i int) error {
		o := orgs[i%mixOrgs]
		_, err := stack.call(ctx, o.tok, http.MethodGet, stack.orgs+o.name+"/applications/"+o.readApp(), nil, nil)
		return err
	})

	fmt.Fprintf(os.Stderr, "berth-bench: mixed load: %.0f rps for %s\n", rate, d)
	answers := make([]answer, n)
	res := load.Run(ctx, rate, d, func(ctx context.Context, i int) error {
		o := orgs[i%mixOrgs]
		rq := ops[plan[i]].build(o)
		a, err := stack.call(ctx, o.tok, rq.method, stack.orgs+o.name+rq.path, rq.body, rq.header)
		if err != nil {
			return fmt.Errorf("%s %s: %w", rq.method, rq.path, err)
		}
		a.Body = a.Body[:min(len(a.Body), 300)]
		answers[i] = a
		if a.Status >= 500 {
			return fmt.Errorf("%s %s: %d Retry-After %q %s", rq.method, rq.path, a.Status, a.Header.Get("Retry-After"), bytes.TrimSpace(a.Body))
		}
		return nil
	})
	rep := mixReport(rate, d, ops, plan, answers, res)
	rep.Setup = "in-process localstack.Start (DynamoDB Local, recorded workflows), the API over loopback HTTP, " + strconv.Itoa(mixOrgs) +
		" organisations with an admin token each at the default rate limit (ratelimit.TokenRate), authorizer decisions cached; " +
		"per organisation, applications of " + strconv.Itoa(envsPerApp) + " ACTIVE environments (one variable set on each, or one deleted) " +
		"and applications with room for the environment creates; every fourth create application repeats the one before, Idempotency-Key and body"
	return rep, nil
}

// mixReport sums a run up by operation and judges it.
func mixReport(rate float64, d time.Duration, ops []mixOp, plan []int, answers []answer, res load.Result) *LoadMixReport {
	ms := func(x time.Duration) float64 { return round(float64(x)/1e6, 2) }
	rep := &LoadMixReport{Rate: rate, Seconds: d.Seconds(), Requests: len(plan), Late: res.Late, MaxLagMs: ms(res.MaxLag),
		P50ms: ms(load.Percentile(res.Latencies, 50)), P99ms: ms(load.Percentile(res.Latencies, 99)), Samples: res.ErrorSamples}
	interval := time.Duration(float64(time.Second) / rate)
	var lastAnswer time.Duration
	byOp := make([][]time.Duration, len(ops))
	rep.Operations = make([]MixOperation, len(ops))
	for k, op := range ops {
		rep.Operations[k] = MixOperation{Name: op.name, Write: op.write, Statuses: map[string]int{}}
	}
	answered := 0
	for i, k := range plan {
		mo := &rep.Operations[k]
		mo.Requests++
		byOp[k] = append(byOp[k], res.BySequence[i])
		a := answers[i]
		if a.Status == 0 {
			mo.Classes.NoAnswer++
			mo.Statuses["none"]++
			continue
		}
		answered++
		lastAnswer = max(lastAnswer, time.Duration(i)*interval+res.BySequence[i])
		mo.Classes.add(a.Status, a.Header.Get("Retry-After"))
		mo.Statuses[strconv.Itoa(a.Status)]++
	}
	for k := range ops {
		slices.Sort(byOp[k])
		rep.Operations[k].P50ms, rep.Operations[k].P99ms = ms(load.Percentile(byOp[k], 50)), ms(load.Percentile(byOp[k], 99))
		rep.Classes = rep.Classes.plus(rep.Operations[k].Classes)
	}
	if res.SendSpan > 0 {
		rep.SentRate = round(float64(len(plan)-1)/res.SendSpan.Seconds(), 1)
	}
	if lastAnswer > 0 {
		rep.AnsweredRate = round(float64(answered)/lastAnswer.Seconds(), 1)
	}
	rep.Unmet = mixVerdict(rep.Classes)
	rep.Meets = len(rep.Unmet) == 0
	return rep
}

// prepareMixOrg mints org's token and creates, through the API, the
// applications and environments its requests go to, then marks them
// ACTIVE as a finished workflow would (the stack only records workflows).
func prepareMixOrg(ctx context.Context, stack *loadStack, org string, appBody []byte, sets, dels, creates int) (*mixOrg, error) {
	tok, err := stack.mintToken(ctx, org)
	if err != nil {
		return nil, err
	}
	o := &mixOrg{name: org, tok: tok, sets: sets}
	base := stack.orgs + org
	for i := range (sets + dels + envsPerApp - 1) / envsPerApp {
		o.pool = append(o.pool, "p"+strconv.Itoa(i))
	}
	for i := range creates/perApp + 1 {
		o.grow = append(o.grow, "g"+strconv.Itoa(i))
	}
	for i := range sets + dels {
		o.envs = append(o.envs, o.pool[i/envsPerApp]+"/e"+strconv.Itoa(i))
	}
	var requests []func(context.Context) error
	for _, app := range slices.Concat(o.pool, o.grow) {
		body := appNamed(appBody, app)
		requests = append(requests, func(ctx context.Context) error {
			return stack.expect(ctx, tok, http.MethodPost, base+"/applications", body, http.StatusCreated)
		})
	}
	if err := inParallel(ctx, requests); err != nil {
		return nil, err
	}
	requests = nil
	for _, appEnv := range o.envs {
		app, env, _ := strings.Cut(appEnv, "/")
		body := []byte(`{"envName":"` + env + `","cloneConfigurationFrom":"production","minCapacity":1,"maxCapacity":1}`)
		requests = append(requests, func(ctx context.Context) error {
			return stack.expect(ctx, tok, http.MethodPost, base+"/applications/"+app+"/environments", body, http.StatusCreated)
		})
	}
	if err := inParallel(ctx, requests); err != nil {
		return nil, err
	}
	requests = nil
	tbl := stack.table()
	for _, app := range o.pool {
		a, envs, err := tbl.GetApplication(ctx, org, app)
		if err != nil {
			return nil, err
		}
		requests = append(requests, func(ctx context.Context) error {
			return tbl.Apply(ctx, apps.Target{Organisation: org, Application: app, UID: a.UID}, apps.Change{Status: apps.StatusActive})
		})
		for _, e := range envs {
			requests = append(requests, func(ctx context.Context) error {
				return tbl.Apply(ctx, apps.Target{Organisation: org, Application: app, Environment: e.Name, UID: e.UID}, apps.Change{Status: apps.StatusActive})
			})
		}
	}
	return o, inParallel(ctx, requests)
}
