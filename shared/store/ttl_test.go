package store

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/dynamolocal"
	"github.com/berth-dev/berth/shared/idempotency"
	"github.com/berth-dev/berth/shared/jobs"
)

// DynamoDB Local keeps items past their TTL (as DynamoDB does for a while),
// so these tests check the attribute each item kind gets, and that reads
// treat an item past it as gone.

var (
	localOnce   sync.Once
	localServer *dynamolocal.Server
	localErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if localServer != nil {
		_ = localServer.Stop()
	}
	os.Exit(code)
}

func testTable(t *testing.T) *Table {
	t.Helper()
	localOnce.Do(func() {
		ctx := context.Background()
		localServer, localErr = dynamolocal.Start(ctx, dynamolocal.Options{})
		if localErr == nil {
			localErr = EnsureTable(ctx, localServer.Client(), "berth-store-test")
		}
	})
	if localErr != nil {
		t.Fatal(localErr)
	}
	return &Table{Client: localServer.Client(), Name: "berth-store-test"}
}

// ttlOf reads an item's TTL attribute raw: 0 when it has none.
func ttlOf(t *testing.T, tbl *Table, pk, sk string) int64 {
	t.Helper()
	out, err := tbl.Client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(tbl.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatalf("no item %s %s", pk, sk)
	}
	if _, ok := out.Item[TTLAttribute]; ok {
		if _, isNum := out.Item[TTLAttribute].(*types.AttributeValueMemberN); !isNum {
			t.Fatalf("%s %s: %s is not a Number, so DynamoDB TTL would ignore it", pk, sk, TTLAttribute)
		}
	}
	return expiresAt(out.Item)
}

// backdate sets an item's TTL an hour in the past, as if DynamoDB had not
// deleted it yet.
func backdate(t *testing.T, tbl *Table, pk, sk string) {
	t.Helper()
	_, err := tbl.Client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(tbl.Name), Key: key(pk, sk),
		UpdateExpression:          aws.String("SET #ttl = :past"),
		ExpressionAttributeNames:  map[string]string{"#ttl": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":past": num(time.Now().Add(-time.Hour).Unix())},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTableTurnsOnTTLForTheAttribute(t *testing.T) {
	tbl := testTable(t)
	out, err := tbl.Client.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tbl.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != TTLAttribute || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("TTL %+v, want %s enabled", out.TimeToLiveDescription, TTLAttribute)
	}
}

func TestTokenTTL(t *testing.T) {
	tbl := testTable(t)
	ctx := context.Background()
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	expiring := auth.Token{ID: "ttl-expiring", SecretHash: "h", Organisations: []string{"ttl-org-a", "ttl-org-b"}, Role: auth.RoleRead,
		ExpiresAt: &expires, CreatedAt: time.Now().UTC()}
	forever := auth.Token{ID: "ttl-forever", SecretHash: "h", Organisations: []string{"ttl-org-a"}, Role: auth.RoleRead, CreatedAt: time.Now().UTC()}
	for _, tok := range []auth.Token{expiring, forever} {
		if err := tbl.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	want := expires.Add(TokenRetention).Unix()
	if got := ttlOf(t, tbl, tokenPK(expiring.ID), tokenSK); got != want {
		t.Errorf("expiring token: %s %d, want expiresAt + %v = %d", TTLAttribute, got, TokenRetention, want)
	}
	for _, org := range expiring.Organisations {
		if got := ttlOf(t, tbl, orgKey(org), tokenPrefix+expiring.ID); got != want {
			t.Errorf("membership in %s: %s %d, want %d", org, TTLAttribute, got, want)
		}
	}
	if got := ttlOf(t, tbl, tokenPK(forever.ID), tokenSK); got != 0 {
		t.Errorf("token without an expiry has %s %d", TTLAttribute, got)
	}

	// Past its TTL, the token is gone to every read.
	backdate(t, tbl, tokenPK(expiring.ID), tokenSK)
	backdate(t, tbl, orgKey("ttl-org-a"), tokenPrefix+expiring.ID)
	if _, err := tbl.GetToken(ctx, expiring.ID); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("GetToken of a token past its TTL: %v, want ErrNoToken", err)
	}
	page, err := tbl.ListTokens(ctx, "ttl-org-a", apps.PageRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != forever.ID {
		t.Errorf("ListTokens past the TTL: %+v, want only %s", page.Items, forever.ID)
	}
	if _, err := tbl.GetToken(ctx, forever.ID); err != nil {
		t.Errorf("GetToken of a token without expiry: %v", err)
	}
}

func TestIdempotencyTTL(t *testing.T) {
	tbl := testTable(t)
	ctx := context.Background()
	now := time.Now()
	c := idempotency.NewClaim("fp", "lock-1", now)
	if rec, err := tbl.BeginIdempotent(ctx, "ttl-org-idem", "key-1", c); err != nil || rec != nil {
		t.Fatalf("claim: %+v, %v", rec, err)
	}
	if got, want := ttlOf(t, tbl, orgKey("ttl-org-idem"), idempotencySK("key-1")), now.Add(idempotency.Window).Unix(); got != want {
		t.Errorf("%s %d, want claim time + %v = %d", TTLAttribute, got, idempotency.Window, want)
	}
	if err := tbl.CompleteIdempotent(ctx, "ttl-org-idem", "key-1", "lock-1", idempotency.Response{Status: 201}); err != nil {
		t.Fatal(err)
	}
	if rec, err := tbl.GetIdempotent(ctx, "ttl-org-idem", "key-1"); err != nil || rec == nil || !rec.Done {
		t.Fatalf("before the TTL: %+v, %v", rec, err)
	}
	backdate(t, tbl, orgKey("ttl-org-idem"), idempotencySK("key-1"))
	if rec, err := tbl.GetIdempotent(ctx, "ttl-org-idem", "key-1"); err != nil || rec != nil {
		t.Errorf("GetIdempotent past the TTL: %+v, %v; want none", rec, err)
	}
	// And the key may be claimed again.
	if rec, err := tbl.BeginIdempotent(ctx, "ttl-org-idem", "key-1", idempotency.NewClaim("other", "lock-2", time.Now())); err != nil || rec != nil {
		t.Errorf("claim past the TTL: %+v, %v; want a fresh claim", rec, err)
	}
}

func TestFinishedRunsExpireAndPendingOnesDoNot(t *testing.T) {
	tbl := testTable(t)
	ctx := context.Background()
	env := apps.Environment{Organisation: "ttl-org-runs", Application: "app", Name: "production", UID: "env-uid"}
	now := time.Now().UTC().Truncate(time.Second)
	for _, cron := range []string{"", "nightly"} {
		run := jobs.Run{ID: "20250101T000000Z-" + strconv.Itoa(len(cron)), Cron: cron, Type: "COMMAND", Command: []string{"true"}, Container: "web",
			Timeout: time.Minute, Status: jobs.StatusPending, Execution: "x", CreatedAt: now}
		if cron != "" {
			run.Type = "CRON"
		}
		if err := tbl.CreateRun(ctx, env, run); err != nil {
			t.Fatal(err)
		}
		sk := runSK(cron, run.ID)
		if got := ttlOf(t, tbl, historyPK(env), sk); got != 0 {
			t.Errorf("pending run %q has %s %d", sk, TTLAttribute, got)
		}
		ended := now.Add(time.Minute)
		if _, err := tbl.UpdateRun(ctx, env, cron, run.ID, func(r *jobs.Run) error {
			r.Status, r.EndedAt = jobs.StatusSucceeded, ended
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := ttlOf(t, tbl, historyPK(env), sk), ended.Add(RunRetention).Unix(); got != want {
			t.Errorf("finished run %q: %s %d, want endedAt + %v = %d", sk, TTLAttribute, got, RunRetention, want)
		}
		backdate(t, tbl, historyPK(env), sk)
		runKey := run.ID
		if cron != "" {
			runKey = cron + "/" + run.ID
		}
		if _, err := tbl.GetRun(ctx, env, runKey); !errors.Is(err, apps.ErrNotFound) {
			t.Errorf("GetRun past the TTL: %v, want not found", err)
		}
		page, err := tbl.ListRuns(ctx, env, cron, apps.PageRequest{Limit: 10})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("ListRuns past the TTL: %+v, %v", page.Items, err)
		}
	}
}

// createFailed stores an application CREATING, then fails it as
// provision-application's finish does: environments first, with res
// recorded on the production environment first if given.
func createFailed(t *testing.T, tbl *Table, org, name string, res []cloud.Ref) (apps.Target, apps.Target) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	app := apps.Application{Organisation: org, Name: name, UID: name + "-app", Status: apps.StatusCreating, Version: 1, CreatedAt: now, UpdatedAt: now}
	prod := apps.Environment{Organisation: org, Application: name, Name: apps.ProductionEnvironment, UID: name + "-prod", Status: apps.StatusCreating, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tbl.CreateApplication(ctx, app, prod); err != nil {
		t.Fatal(err)
	}
	appT := apps.Target{Organisation: org, Application: name, UID: app.UID}
	envT := apps.Target{Organisation: org, Application: name, Environment: prod.Name, UID: prod.UID}
	for _, tg := range []apps.Target{envT, appT} {
		if err := tbl.Apply(ctx, tg, apps.Change{Progress: &apps.Progress{Operation: apps.ProvisionApplication, Execution: "x", State: apps.StepRunning, StartedAt: now}, Add: res, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	why := "boom"
	for _, tg := range []apps.Target{envT, appT} {
		if err := tbl.Apply(ctx, tg, apps.Change{Status: apps.StatusFailed, Reason: &why, Operation: &apps.StepProgress{State: apps.StepFailed, FinishedAt: now}, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	return appT, envT
}

func TestFailedCreateWithoutResourcesExpires(t *testing.T) {
	tbl := testTable(t)
	ctx := context.Background()
	before := time.Now().Add(FailedRetention).Unix()
	appT, envT := createFailed(t, tbl, "ttl-org-failed", "gone", nil)
	after := time.Now().Add(FailedRetention).Unix()
	for _, tg := range []apps.Target{appT, envT} {
		k := targetKey(tg)
		got := ttlOf(t, tbl, k[attrPK].(*types.AttributeValueMemberS).Value, k[attrSK].(*types.AttributeValueMemberS).Value)
		if got < before || got > after {
			t.Errorf("%s: %s %d, want the failure time + %v (%d..%d)", describe(tg), TTLAttribute, got, FailedRetention, before, after)
		}
	}
	// No environment may join an expiring application.
	err := tbl.CreateEnvironment(ctx, apps.Environment{Organisation: appT.Organisation, Application: appT.Application, Name: "staging", UID: "s", Status: apps.StatusCreating, Version: 1})
	if !errors.Is(err, apps.ErrConflict) {
		t.Errorf("CreateEnvironment on an expiring application: %v, want a conflict", err)
	}
	// A DELETE takes the TTL away: the teardown decides.
	if _, err := tbl.MarkEnvironmentDeleting(ctx, envT.Organisation, envT.Application, envT.Environment, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf(t, tbl, applicationPK(envT.Organisation, envT.Application), environmentSK(envT.Environment)); got != 0 {
		t.Errorf("DELETING environment keeps %s %d", TTLAttribute, got)
	}
	// Past its TTL, the application is gone to reads.
	backdate(t, tbl, applicationPK(appT.Organisation, appT.Application), applicationSK)
	if _, _, err := tbl.GetApplication(ctx, appT.Organisation, appT.Application); !errors.Is(err, apps.ErrNotFound) {
		t.Errorf("GetApplication past the TTL: %v, want not found", err)
	}
}

func TestFailedRecordWithResourcesNeverExpires(t *testing.T) {
	tbl := testTable(t)
	res := []cloud.Ref{{Kind: cloud.KindRepository, Name: "left-behind"}}
	appT, envT := createFailed(t, tbl, "ttl-org-failed", "kept", res)
	for _, tg := range []apps.Target{appT, envT} {
		k := targetKey(tg)
		if got := ttlOf(t, tbl, k[attrPK].(*types.AttributeValueMemberS).Value, k[attrSK].(*types.AttributeValueMemberS).Value); got != 0 {
			t.Errorf("%s with resources left has %s %d", describe(tg), TTLAttribute, got)
		}
	}
}

func TestFailedEnvironmentCreateExpiresAlone(t *testing.T) {
	tbl := testTable(t)
	ctx := context.Background()
	now := time.Now().UTC()
	org, name := "ttl-org-env", "app"
	app := apps.Application{Organisation: org, Name: name, UID: "a1", Status: apps.StatusActive, Version: 1, CreatedAt: now, UpdatedAt: now}
	prod := apps.Environment{Organisation: org, Application: name, Name: apps.ProductionEnvironment, UID: "p1", Status: apps.StatusActive, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tbl.CreateApplication(ctx, app, prod); err != nil {
		t.Fatal(err)
	}
	staging := apps.Environment{Organisation: org, Application: name, Name: "staging", UID: "s1", Status: apps.StatusCreating, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tbl.CreateEnvironment(ctx, staging); err != nil {
		t.Fatal(err)
	}
	envT := apps.Target{Organisation: org, Application: name, Environment: "staging", UID: "s1"}
	why := "boom"
	if err := tbl.Apply(ctx, envT, apps.Change{Progress: &apps.Progress{Operation: apps.ProvisionEnvironment, Execution: "x", State: apps.StepFailed, StartedAt: now}, Status: apps.StatusFailed, Reason: &why, Now: now}); err != nil {
		t.Fatal(err)
	}
	if got, want := ttlOf(t, tbl, applicationPK(org, name), environmentSK("staging")), now.Add(FailedRetention).Unix(); got != want {
		t.Errorf("failed environment: %s %d, want %d", TTLAttribute, got, want)
	}
	if got := ttlOf(t, tbl, applicationPK(org, name), applicationSK); got != 0 {
		t.Errorf("its ACTIVE application has %s %d", TTLAttribute, got)
	}
	// Sending the create again replaces it, without a TTL.
	staging.UID = "s2"
	if err := tbl.CreateEnvironment(ctx, staging); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf(t, tbl, applicationPK(org, name), environmentSK("staging")); got != 0 {
		t.Errorf("re-created environment has %s %d", TTLAttribute, got)
	}
}
