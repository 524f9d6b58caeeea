package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/backpressure"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/workflow"
)

// awsPushback is an AWS JSON endpoint that answers every call with the
// error code, as DynamoDB and Step Functions do when they throttle. It
// counts the calls, so that a test sees the SDK retried.
func awsPushback(t *testing.T, code string) (string, *atomic.Int32) {
	t.Helper()
	calls := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.service#` + code + `","message":"slow down"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// quickRetries is the SDK's standard retryer, with its three attempts and
// its retry quota, but no seconds of backoff between them in a test.
func quickRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// pushbackServer mounts every route on a server whose apps service uses
// tbl and starter; the caller is an admin of org.
func pushbackServer(org string, tbl *store.Table, starter apps.WorkflowStarter) http.Handler {
	srv := &api.Server{
		Apps:  apps.NewService(tbl, starter),
		Audit: stack.Server.Audit, Idempotency: stack.Server.Idempotency,
		Authenticate: func(*http.Request) (auth.Principal, error) {
			return auth.Principal{TokenID: "pushback", Organisations: []string{org}, Role: auth.RoleAdmin}, nil
		},
	}
	mux := http.NewServeMux()
	srv.Mount(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)), api.Routes()...)
	return mux
}

func serve(t *testing.T, h http.Handler, method, path string, body any) response {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), URL: path}
	checkAgainstSpec(t, method, path, raw, res)
	return res
}

// mustBackOff checks a 503 unavailable problem with Retry-After.
func mustBackOff(t *testing.T, res response) {
	t.Helper()
	mustStatus(t, res, http.StatusServiceUnavailable)
	if got := res.Header.Get("Retry-After"); got != strconv.Itoa(backpressure.RetryAfterSeconds) {
		t.Errorf("Retry-After %q, want %d", got, backpressure.RetryAfterSeconds)
	}
	p := res.json(t)
	if p["type"] != api.ProblemBase+"unavailable" || p["status"] != float64(503) || p["requestId"] == "" {
		t.Errorf("problem %v, want the unavailable problem", p)
	}
}

func minimalApplication(name string) map[string]any {
	return map[string]any{
		"appName": name,
		"composeDefinition": map[string]any{"containers": []any{map[string]any{
			"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx"},
		}}},
	}
}

func TestDynamoDBThrottlingAnswers503WithRetryAfter(t *testing.T) {
	ensureStack(t)
	for _, code := range []string{"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"} {
		t.Run(code, func(t *testing.T) {
			endpoint, calls := awsPushback(t, code)
			client := dynamodb.New(dynamodb.Options{
				Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
				Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), Retryer: quickRetries(),
			})
			org := uniqueOrg(t)
			h := pushbackServer(org, &store.Table{Client: client, Name: stack.Table}, &workflow.Recorder{})

			// A read: GetApplication's Query.
			mustBackOff(t, serve(t, h, http.MethodGet, orgPath(org)+"/applications/my-app", nil))
			if n := calls.Load(); n != 3 {
				t.Errorf("%d calls, want the SDK's 3 attempts", n)
			}
			// A write: CreateApplication's transaction.
			mustBackOff(t, serve(t, h, http.MethodPost, orgPath(org)+"/applications", minimalApplication("my-app")))
		})
	}
}

func TestStepFunctionsLimitAnswers503AndLeavesNothing(t *testing.T) {
	ensureStack(t)
	for _, code := range []string{"ExecutionLimitExceeded", "ThrottlingException"} {
		t.Run(code, func(t *testing.T) {
			endpoint, calls := awsPushback(t, code)
			starter := stepfunctions.Starter{
				ARNs: map[apps.Workflow]string{apps.ProvisionApplication: "arn:aws:states:us-east-1:123456789012:stateMachine:provision-application"},
				Client: sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
					Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), Retryer: quickRetries()}),
			}
			org := uniqueOrg(t)
			tbl := &store.Table{Client: stack.Client, Name: stack.Table}
			h := pushbackServer(org, tbl, starter)
			mustBackOff(t, serve(t, h, http.MethodPost, orgPath(org)+"/applications", minimalApplication("my-app")))
			if calls.Load() == 0 {
				t.Fatal("StartExecution was never called")
			}
			// The create compensated: no record stays, CREATING or otherwise.
			res := call(t, http.MethodGet, orgPath(org)+"/applications/my-app", nil)
			mustStatus(t, res, http.StatusNotFound)
			page := call(t, http.MethodGet, orgPath(org)+"/applications", nil)
			mustStatus(t, page, http.StatusOK)
			if items := page.array(t); len(items) != 0 {
				t.Errorf("applications after a failed start: %v", items)
			}
		})
	}
}
