package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/berth-dev/berth/bench/load"
)

// LoadReport is the open-loop load through the local stack.
type LoadReport struct {
	Setup string `json:"setup"`
	// ServiceTimes are one request at a time, unloaded.
	ServiceTimes map[string]ServiceTime `json:"serviceTimes"`
	Steps        []LoadStep             `json:"steps"`
}

// LoadStep is one rate: the two API operations, the raw SDK GetItem the
// goal compares both with, and the raw SDK calls a create makes, which
// tells Berth's share of a create's latency from DynamoDB Local's.
type LoadStep struct {
	Rate              float64      `json:"rate"`
	GetApplication    load.Summary `json:"getApplication"`
	CreateEnvironment load.Summary `json:"createEnvironment"`
	RawGetItem        load.Summary `json:"rawGetItem"`
	RawCreateCalls    load.Summary `json:"rawCreateCalls"`
	GetRatioP99       float64      `json:"getApplicationP99ToRaw"`
	CreateRatioP99    float64      `json:"createEnvironmentP99ToRaw"`
	// CreateToRawCallsP99 is the create's p99 over the raw Query and
	// TransactWriteItems p99 at the same rate (not a goal; an attribution).
	CreateToRawCallsP99 float64 `json:"createEnvironmentP99ToRawCreateCalls"`
	Meets               bool    `json:"meetsGoal"`
}

// ServiceTime is one operation's latency one request at a time, and its
// DynamoDB calls on the API's client (the local authorizer's token lookup
// uses a client of its own and is not counted).
type ServiceTime struct {
	P50ms         float64 `json:"p50Ms"`
	P99ms         float64 `json:"p99Ms"`
	DynamoDBCalls float64 `json:"dynamoDBCallsPerRequest"`
}

const loadOrg = "bench"

func loadTest(step time.Duration, quick bool) (*LoadReport, error) {
	ctx := context.Background()
	rates := []float64{200, 500}
	var calls atomic.Int64
	count := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("berth-bench-count",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					calls.Add(1)
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
	stack, err := startLoadStack(ctx, 1e6, count)
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	base := stack.orgs + loadOrg
	tok, err := stack.mintToken(ctx, loadOrg)
	if err != nil {
		return nil, err
	}
	send := func(ctx context.Context, method, url string, body []byte, want int) error {
		return stack.expect(ctx, tok, method, url, body, want)
	}

	// Applications to create environments in: at most perApp each, so the
	// creates are spread over many.
	var creates float64
	for _, r := range rates {
		creates += r * step.Seconds()
	}
	creates += 50 // the service time probe
	// n/perApp+1 for the n-th create: one more when creates is a multiple of perApp.
	nApps := int(math.Ceil(creates/float64(perApp))) + 2
	seed, err := os.ReadFile("docs/examples/create-application.json")
	if err != nil {
		return nil, err
	}
	// As many again, named raw-<i>, for the raw calls of a create.
	fmt.Fprintf(os.Stderr, "berth-bench: creating 2×%d applications for the environment creates\n", nApps)
	var creating []func(context.Context) error
	for i := range 2 * nApps {
		name := "app-" + strconv.Itoa(i)
		if i >= nApps {
			name = "raw-" + strconv.Itoa(i-nApps)
		}
		creating = append(creating, func(ctx context.Context) error {
			return send(ctx, http.MethodPost, base+"/applications", appNamed(seed, name), http.StatusCreated)
		})
	}
	if err := inParallel(ctx, creating); err != nil {
		return nil, fmt.Errorf("creating applications: %w", err)
	}

	getApp := func(ctx context.Context, _ int) error {
		return send(ctx, http.MethodGet, base+"/applications/app-0", nil, http.StatusOK)
	}
	var envSeq atomic.Int64
	createEnv := func(ctx context.Context, _ int) error {
		n := int(envSeq.Add(1))
		app := "app-" + strconv.Itoa(1+n/perApp)
		name := "e" + strconv.Itoa(n)
		body := []byte(`{"envName":"` + name + `","cloneConfigurationFrom":"production","imageSuffix":"` + name + `","minCapacity":1,"maxCapacity":1}`)
		return send(ctx, http.MethodPost, base+"/applications/"+app+"/environments", body, http.StatusCreated)
	}
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "ORG#" + loadOrg + "#APP#app-0"}, "sk": &types.AttributeValueMemberS{Value: "APP"},
	}
	raw := stack.DynamoDB.Client() // a plain client, without the counter
	rawGet := func(ctx context.Context, _ int) error {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		out, err := raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(stack.Table), Key: key})
		if err == nil && out.Item == nil {
			err = fmt.Errorf("GetItem: no item")
		}
		return err
	}

	// The DynamoDB work of one environment create, on the raw client: the
	// Query of the application's partition, then one transaction that
	// checks the application, puts the environment (a copy of production)
	// and puts an audit event. Each goes to an application of its own.
	var rawSeq atomic.Int64
	rawCreate := func(ctx context.Context, _ int) error {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		n := int(rawSeq.Add(1))
		pk := &types.AttributeValueMemberS{Value: "ORG#" + loadOrg + "#APP#raw-" + strconv.Itoa(n/perApp)}
		q, err := raw.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(stack.Table), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String("pk = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": pk}})
		if err != nil {
			return err
		}
		var env map[string]types.AttributeValue
		for _, it := range q.Items {
			if sk, _ := it["sk"].(*types.AttributeValueMemberS); sk != nil && sk.Value == "ENV#production" {
				env = maps.Clone(it)
			}
		}
		if env == nil {
			return fmt.Errorf("Query: no production environment in %s", pk.Value)
		}
		env["sk"] = &types.AttributeValueMemberS{Value: "ENV#r" + strconv.Itoa(n)}
		audit := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORG#" + loadOrg},
			"sk": &types.AttributeValueMemberS{Value: "AUDIT#raw#" + strconv.Itoa(n)}, "status": &types.AttributeValueMemberN{Value: "201"}}
		_, err = raw.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(stack.Table),
				Key:                 map[string]types.AttributeValue{"pk": pk, "sk": &types.AttributeValueMemberS{Value: "APP"}},
				ConditionExpression: aws.String("attribute_exists(pk)")}},
			{Put: &types.Put{TableName: aws.String(stack.Table), Item: env, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			{Put: &types.Put{TableName: aws.String(stack.Table), Item: audit}},
		}})
		return err
	}

	// Warm up DynamoDB Local's JVM, the connections and both paths; not counted.
	warm := 3 * time.Second
	if quick {
		warm = time.Second
	}
	load.Run(ctx, 200, warm, getApp)
	load.Run(ctx, 200, warm, rawGet)

	// Service times, one request at a time (closed loop), and the DynamoDB
	// calls each makes on the API's client: what bounds the rate this
	// machine can sustain.
	probe := func(do func(context.Context, int) error) (ServiceTime, error) {
		var lat []time.Duration
		before := calls.Load()
		for i := range 50 {
			t := time.Now()
			if err := do(ctx, i); err != nil {
				return ServiceTime{}, err
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		return ServiceTime{P50ms: round(float64(load.Percentile(lat, 50))/1e6, 3), P99ms: round(float64(load.Percentile(lat, 99))/1e6, 3),
			DynamoDBCalls: round(float64(calls.Load()-before)/50, 2)}, nil
	}
	var probes = map[string]func(context.Context, int) error{"getApplication": getApp, "createEnvironment": createEnv, "rawGetItem": rawGet, "rawCreateCalls": rawCreate}
	service := map[string]ServiceTime{}
	for name, do := range probes {
		if service[name], err = probe(do); err != nil {
			return nil, fmt.Errorf("service time of %s: %w", name, err)
		}
	}

	rep := &LoadReport{ServiceTimes: service, Setup: "in-process localstack.Start (DynamoDB Local, recorded workflows: no Step Functions, no sandbox), " +
		"the API served over loopback HTTP, one admin token with Config.RateLimit 1e6/s, authorizer decisions cached for 60 s (CacheDecisions, as make run and API Gateway); " +
		strconv.Itoa(nApps) + " applications pre-created for the environment creates and as many for the raw calls of a create (Query, then TransactWriteItems of a ConditionCheck and two Puts)"}
	for _, rate := range rates {
		fmt.Fprintf(os.Stderr, "berth-bench: %.0f rps\n", rate)
		st := LoadStep{Rate: rate}
		// Raw first and creates last, with a pause between: a saturated
		// step leaves work behind in DynamoDB Local after its clients
		// gave up, which must not land on the next step.
		st.RawGetItem = load.Run(ctx, rate, step, rawGet).Summarise()
		time.Sleep(3 * time.Second)
		st.GetApplication = load.Run(ctx, rate, step, getApp).Summarise()
		time.Sleep(3 * time.Second)
		st.CreateEnvironment = load.Run(ctx, rate, step, createEnv).Summarise()
		time.Sleep(5 * time.Second)
		st.RawCreateCalls = load.Run(ctx, rate, step, rawCreate).Summarise()
		time.Sleep(5 * time.Second)
		if raw := st.RawGetItem.P99ms; raw > 0 {
			st.GetRatioP99 = round(st.GetApplication.P99ms/raw, 2)
			st.CreateRatioP99 = round(st.CreateEnvironment.P99ms/raw, 2)
		}
		if raw := st.RawCreateCalls.P99ms; raw > 0 {
			st.CreateToRawCallsP99 = round(st.CreateEnvironment.P99ms/raw, 2)
		}
		st.Meets = st.GetRatioP99 <= 1.5 && st.CreateRatioP99 <= 1.5 &&
			st.GetApplication.Errors+st.CreateEnvironment.Errors+st.RawGetItem.Errors == 0
		rep.Steps = append(rep.Steps, st)
	}
	return rep, nil
}
