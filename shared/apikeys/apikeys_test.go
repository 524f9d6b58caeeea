package apikeys

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
)

// gatewayStub answers the API Gateway REST calls Keys makes, as API
// Gateway does, and records them; the SDK client serialises real requests.
type gatewayStub struct {
	mu       sync.Mutex
	calls    []string
	bodies   []map[string]any
	keys     map[string]string // name -> id
	conflict bool              // CreateApiKey answers 409 (the key exists)
}

func (s *gatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	s.bodies = append(s.bodies, body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/apikeys":
		if s.conflict {
			w.Header().Set("X-Amzn-Errortype", "ConflictException")
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"message":"API Key already exists"}`)
			return
		}
		s.keys[body["name"].(string)] = "key-1"
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"key-1","name":"`+body["name"].(string)+`","enabled":true}`)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/usageplans/"):
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"`+body["keyId"].(string)+`","type":"API_KEY"}`)
	case r.Method == http.MethodGet && r.URL.Path == "/usageplans":
		_, _ = io.WriteString(w, `{"item":[{"id":"plan-0","name":"other"},{"id":"plan-9","name":"berth-tokens"}]}`)
	case r.Method == http.MethodGet && r.URL.Path == "/apikeys":
		name := r.URL.Query().Get("name")
		items := "[]"
		if id, ok := s.keys[name]; ok {
			items = `[{"id":"` + id + `","name":"` + name + `"}]`
		}
		_, _ = io.WriteString(w, `{"item":`+items+`}`)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/apikeys/"):
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func stubbed(t *testing.T) (*Gateway, *gatewayStub) {
	stub := &gatewayStub{keys: map[string]string{}}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	return &Gateway{Client: client, UsagePlan: "berth-tokens"}, stub
}

func TestIssueCreatesAKeyInThePlan(t *testing.T) {
	g, stub := stubbed(t)
	if err := g.Issue(context.Background(), "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /usageplans", "POST /apikeys", "POST /usageplans/plan-9/keys"}
	if strings.Join(stub.calls, ",") != strings.Join(want, ",") {
		t.Fatalf("calls %v, want %v", stub.calls, want)
	}
	key := stub.bodies[1]
	if key["name"] != "berth-token-0123456789abcdef" || key["value"] != "berth-usage-0123456789abcdef" || key["enabled"] != true {
		t.Fatalf("CreateApiKey body %v", key)
	}
	if plan := stub.bodies[2]; plan["keyId"] != "key-1" || plan["keyType"] != "API_KEY" {
		t.Fatalf("CreateUsagePlanKey body %v", plan)
	}
}

func TestThePlanIsLookedUpOnce(t *testing.T) {
	g, stub := stubbed(t)
	for _, id := range []string{"0123456789abcdef", "fedcba9876543210"} {
		if err := g.Issue(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, c := range stub.calls {
		if c == "GET /usageplans" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d plan lookups, want 1: %v", n, stub.calls)
	}
}

func TestIssueTwiceFindsTheKey(t *testing.T) {
	g, stub := stubbed(t)
	stub.keys["berth-token-0123456789abcdef"] = "key-7"
	stub.conflict = true
	if err := g.Issue(context.Background(), "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if last := stub.bodies[len(stub.bodies)-1]; last["keyId"] != "key-7" {
		t.Fatalf("the plan got key %v, want the existing key-7", last["keyId"])
	}
}

func TestWithdraw(t *testing.T) {
	g, stub := stubbed(t)
	stub.keys["berth-token-0123456789abcdef"] = "key-3"
	if err := g.Withdraw(context.Background(), "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if stub.calls[len(stub.calls)-1] != "DELETE /apikeys/key-3" {
		t.Fatalf("calls %v", stub.calls)
	}
	// A key already gone is not an error.
	if err := g.Withdraw(context.Background(), "fedcba9876543210"); err != nil {
		t.Fatal(err)
	}
}
