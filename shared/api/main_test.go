package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/quant"
	"github.com/berth-dev/berth/shared/store"
)

// The integration tests share one local stack: DynamoDB Local on a free
// port, the real store and the real handlers. Each test uses its own
// organisation, so tests do not see each other's records.
var (
	stack    *localstack.Stack
	spec     *openapi3.T
	router   routers.Router
	specPath = "../../docs/openapi.yaml"
	// quantRouter routes Quant's published document, which every response
	// of an operation it has must also satisfy.
	quantRouter routers.Router
	// dialectRouters route the dialects' documents (docs/dialects), which
	// their routes' responses must satisfy.
	dialectRouters []routers.Router
	dialectSpecs   []*openapi3.T
	// dialectDocs are the same documents by dialect name, the file's.
	dialectDocs = map[string]*openapi3.T{}
	calls       = &callLog{}
)

// callLog records the DynamoDB operations the API makes, counted once per
// SDK call (before retries), through an SDK middleware.
type callLog struct {
	mu  sync.Mutex
	ops []string
}

func (c *callLog) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

func (c *callLog) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

func countCalls(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("berthCountCalls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				calls.mu.Lock()
				calls.ops = append(calls.ops, awsmiddleware.GetOperationName(ctx))
				calls.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if stack != nil {
		_ = stack.Close()
	}
	os.Exit(code)
}

// logs captures what the local stack logs, for the tests that check no
// secret ever reaches a log line.
var logs = &syncBuffer{}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	setupOnce sync.Once
	setupErr  error
)

// ensureStack starts the local stack and loads the OpenAPI document the
// first time a test needs them, so that unit and fuzz tests run without.
func ensureStack(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

func setup() error {
	ctx := context.Background()
	var err error
	if spec, err = openapi3.NewLoader().LoadFromFile(specPath); err != nil {
		return fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := spec.Validate(ctx); err != nil {
		return fmt.Errorf("OpenAPI document is invalid: %w", err)
	}
	if router, err = gorillamux.NewRouter(spec); err != nil {
		return fmt.Errorf("route OpenAPI document: %w", err)
	}
	quantDoc, err := openapi3.NewLoader().LoadFromFile("../../" + quant.DocumentPath)
	if err != nil {
		return fmt.Errorf("load Quant's OpenAPI document: %w", err)
	}
	if quantRouter, err = gorillamux.NewRouter(quantDoc); err != nil {
		return fmt.Errorf("route Quant's OpenAPI document: %w", err)
	}
	docs, err := filepath.Glob("../../docs/dialects/*.yaml")
	if err != nil || len(docs) == 0 {
		return fmt.Errorf("no dialect documents: %v", err)
	}
	for _, path := range docs {
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			return fmt.Errorf("load %s: %w", path, err)
		}
		if err := doc.Validate(ctx); err != nil {
			return fmt.Errorf("%s is invalid: %w", path, err)
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return fmt.Errorf("route %s: %w", path, err)
		}
		dialectRouters, dialectSpecs = append(dialectRouters, r), append(dialectSpecs, doc)
		dialectDocs[strings.TrimSuffix(filepath.Base(path), ".yaml")] = doc
	}
	openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
	stack, err = localstack.Start(ctx, localstack.Config{
		Table:         "berth-test",
		Log:           slog.New(slog.NewJSONHandler(logs, nil)),
		ClientOptions: []func(*dynamodb.Options){countCalls},
	})
	if err != nil {
		return fmt.Errorf("start local stack: %w", err)
	}
	return nil
}

// response is a recorded API response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	// URL is the request's path and query, for resolving references.
	URL string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// array decodes a list: Quant's lists are bare JSON arrays.
func (r response) array(t *testing.T) []any {
	t.Helper()
	var v []any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not a JSON array: %v\n%s", err, r.Body)
	}
	return v
}

// next is the target of the response's Link rel="next" (RFC 8288),
// resolved against the request's URL (RFC 3986), or "".
func (r response) next(t *testing.T) string {
	t.Helper()
	links := r.Header.Values("Link")
	if len(links) > 1 {
		t.Fatalf("%d Link headers", len(links))
	}
	for _, l := range links {
		target, params, ok := strings.Cut(l, ">;")
		if !ok || !strings.HasPrefix(target, "<") || strings.TrimSpace(params) != `rel="next"` {
			t.Fatalf("Link %q is not <target>; rel=\"next\"", l)
		}
		base, err := url.Parse(r.URL)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := url.Parse(target[1:])
		if err != nil {
			t.Fatalf("Link target %q: %v", target[1:], err)
		}
		return base.ResolveReference(ref).String()
	}
	return ""
}

// fieldErrors returns the problem's errors, keyed by field path.
func (r response) fieldErrors(t *testing.T) map[string]any {
	t.Helper()
	errs, _ := r.json(t)["errors"].(map[string]any)
	return errs
}

// call sends a request through the local stack's handler and checks the
// response against the OpenAPI document.
func call(t *testing.T, method, path string, body any, headers ...string) response {
	t.Helper()
	ensureStack(t)
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if org, ok := pathOrg(path); ok {
		req.Header.Set("Authorization", "Bearer "+tokenFor(t, org, auth.RoleAdmin))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	stack.Handler.ServeHTTP(rec, req)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), URL: path}
	checkAgainstSpec(t, method, path, raw, res)
	return res
}

// pathOrg reads the organisation out of an API path.
func pathOrg(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/v3/organizations/")
	if !ok {
		return "", false
	}
	org, _, _ := strings.Cut(rest, "/")
	org, _, _ = strings.Cut(org, "?")
	return org, org != ""
}

var (
	tokensMu sync.Mutex
	tokens   = map[string]string{}
)

// tokenFor mints a token for org with role straight into the table, once
// per organisation and role, as berth-token does for a first admin token.
func tokenFor(t *testing.T, org string, role auth.Role) string {
	t.Helper()
	ensureStack(t)
	tokensMu.Lock()
	defer tokensMu.Unlock()
	if tok, ok := tokens[org+"/"+string(role)]; ok {
		return tok
	}
	tok, id, secret := auth.NewSecret()
	rec := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{org}, Role: role, CreatedAt: time.Now().UTC()}
	if err := (&store.Table{Client: stack.Client, Name: stack.Table}).CreateToken(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	tokens[org+"/"+string(role)] = tok
	return tok
}

// checkAgainstSpec fails the test when a response of a route the spec
// knows does not validate against it.
func checkAgainstSpec(t *testing.T, method, path string, body []byte, res response) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	route, params, err := router.FindRoute(req)
	for _, r := range dialectRouters {
		if err == nil {
			break
		}
		route, params, err = r.FindRoute(req)
	}
	if err != nil {
		if res.Status == http.StatusNotFound || res.Status == http.StatusMethodNotAllowed {
			return // no such route or method: the spec has nothing to say
		}
		t.Fatalf("%s %s answered %d but the OpenAPI document has no such operation: %v", method, path, res.Status, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("%s %s answered %d, which the OpenAPI document does not allow: %v\nbody: %s", method, path, res.Status, err, res.Body)
	}
	checkAgainstQuant(t, method, path, body, res)
}

// checkAgainstQuant validates a response against Quant's published
// document, for the operations it has and the statuses it documents: a
// client generated from it must decode every answer it expects. A problem
// document is checked as the JSON body Quant's error schemas describe.
func checkAgainstQuant(t *testing.T, method, path string, body []byte, res response) {
	t.Helper()
	if err := quantViolation(method, path, body, res); err != nil {
		t.Fatalf("%s %s answered %d, which Quant's published document does not allow: %v\nbody: %s", method, path, res.Status, err, res.Body)
	}
}

func quantViolation(method, path string, body []byte, res response) error {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	route, params, err := quantRouter.FindRoute(req)
	if err != nil {
		return nil // not an operation of Quant's: tokens, audit events
	}
	header := res.Header.Clone()
	if header.Get("Content-Type") == "application/problem+json" {
		header.Set("Content-Type", "application/json")
	}
	validate := func(body []byte) error {
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status:  res.Status,
			Header:  header,
			Body:    io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{MultiError: true},
		}
		return openapi3filter.ValidateResponse(context.Background(), in)
	}
	// A list Quant's document types as one item answers an array of them:
	// each must be that item.
	if quant.ArrayLists[route.Operation.OperationID] != "" && res.Status/100 == 2 {
		var items []json.RawMessage
		if err := json.Unmarshal(res.Body, &items); err != nil {
			return fmt.Errorf("%s answers no array: %w", route.Operation.OperationID, err)
		}
		for _, it := range items {
			if err := validate(it); err != nil {
				return err
			}
		}
		return nil
	}
	return validate(res.Body)
}

// itemCount counts the application and environment records in the table.
// Audit events are left out: a refused mutation is still audited.
func itemCount(t *testing.T) int {
	t.Helper()
	return countItems(t, "kind IN (:app, :env)", map[string]types.AttributeValue{
		":app": &types.AttributeValueMemberS{Value: "application"},
		":env": &types.AttributeValueMemberS{Value: "environment"},
	})
}

// tableDump returns every attribute value in the table as text, one
// item a line, sorted: a refused request must leave it the same. Tokens'
// last-used times are left out; the authorizer updates them on any
// authenticated request.
func tableDump(t *testing.T) string {
	t.Helper()
	ensureStack(t)
	var lines []string
	p := dynamodb.NewScanPaginator(stack.Client, &dynamodb.ScanInput{TableName: aws.String(stack.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			delete(it, "lastUsedAt")
			delete(it, "lastUsedUnix")
			for k, v := range it {
				if b, ok := v.([]byte); ok {
					it[k] = string(b) // stored responses, readable rather than base64
				}
			}
			b, err := json.Marshal(it) // map keys come out sorted
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// tableCount counts every item in the table.
func tableCount(t *testing.T) int {
	t.Helper()
	return countItems(t, "", nil)
}

func countItems(t *testing.T, filter string, values map[string]types.AttributeValue) int {
	t.Helper()
	ensureStack(t)
	n := 0
	in := &dynamodb.ScanInput{TableName: aws.String(stack.Table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)}
	if filter != "" {
		in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = aws.String("#kind IN (:app, :env)"), map[string]string{"#kind": "kind"}, values
	}
	p := dynamodb.NewScanPaginator(stack.Client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
}

func orgPath(org string) string { return "/api/v3/organizations/" + org }

var orgSeq atomic.Int64

// uniqueOrg names an organisation after the test and a sequence number,
// so tests stay apart, also under -count.
func uniqueOrg(t *testing.T) string {
	name := strings.ToLower(t.Name())
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 45 {
		s = strings.Trim(s[len(s)-45:], "-")
	}
	return fmt.Sprintf("t%d-%s", orgSeq.Add(1), s)
}

func mustStatus(t *testing.T, res response, want int) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status %d, want %d\nbody: %s", res.Status, want, res.Body)
	}
}
