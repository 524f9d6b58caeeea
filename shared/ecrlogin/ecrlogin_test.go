package ecrlogin_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/ecrlogin"
	"github.com/berth-dev/berth/shared/registry"
)

// ecrStub answers GetAuthorizationToken as ECR does (JSON 1.1), so that
// the real SDK client serialises the call and parses the answer.
type ecrStub struct {
	t      *testing.T
	status int
	body   string
	calls  int
}

func (s *ecrStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls++
	raw, _ := io.ReadAll(r.Body)
	if target := r.Header.Get("X-Amz-Target"); target != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" || string(raw) != "{}" {
		s.t.Errorf("request %s %s, want GetAuthorizationToken {}", target, raw)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	_, _ = io.WriteString(w, s.body)
}

// adapter points ecrlogin.New at the stub, with retries off so that an
// error answer is seen once.
func adapter(t *testing.T, stub *ecrStub) registry.Credentials {
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return ecrlogin.New(cfg, srv.URL)
}

func token(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const endpoint = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"

func TestCredentials(t *testing.T) {
	stub := &ecrStub{t: t, body: `{"authorizationData":[{"authorizationToken":"` + token("AWS:pass:word+/=") + `","expiresAt":1767268800.5,"proxyEndpoint":"` + endpoint + `"}]}`}
	got, err := adapter(t, stub).Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Login{Username: "AWS", Password: "pass:word+/=", ExpiresAt: time.Unix(1767268800, 5e8).UTC(), Endpoint: endpoint}
	if got != want {
		t.Errorf("login %+v, want %+v", got, want)
	}
	if stub.calls != 1 {
		t.Errorf("%d calls", stub.calls)
	}
}

// TestBadAnswers: whatever ECR answers, the adapter returns an error, never
// a panic, and never the token in it. A failure a retry may cure is
// registry.ErrUnavailable (503); the others are our fault (500).
func TestBadAnswers(t *testing.T) {
	const secret = "s3cr3t-password"
	entry := func(fields string) string { return `{"authorizationData":[{` + fields + `}]}` }
	cases := map[string]struct {
		status      int
		body        string
		unavailable bool
	}{
		"empty answer":             {body: `{}`},
		"no authorization data":    {body: `{"authorizationData":[]}`},
		"empty entry":              {body: entry(``)},
		"token not base64":         {body: entry(`"authorizationToken":"AWS:` + secret + `!","expiresAt":1767268800,"proxyEndpoint":"` + endpoint + `"`)},
		"token without a colon":    {body: entry(`"authorizationToken":"` + token("AWS"+secret) + `","expiresAt":1767268800,"proxyEndpoint":"` + endpoint + `"`)},
		"token without a password": {body: entry(`"authorizationToken":"` + token("AWS:") + `","expiresAt":1767268800,"proxyEndpoint":"` + endpoint + `"`)},
		"token without a user":     {body: entry(`"authorizationToken":"` + token(":"+secret) + `","expiresAt":1767268800,"proxyEndpoint":"` + endpoint + `"`)},
		"no expiry":                {body: entry(`"authorizationToken":"` + token("AWS:"+secret) + `","proxyEndpoint":"` + endpoint + `"`)},
		"no endpoint":              {body: entry(`"authorizationToken":"` + token("AWS:"+secret) + `","expiresAt":1767268800`)},
		"not JSON":                 {body: `<html>`},
		"access denied":            {status: 400, body: `{"__type":"AccessDeniedException","message":"not authorized to perform: ecr:GetAuthorizationToken"}`},
		"throttled":                {status: 400, body: `{"__type":"ThrottlingException","message":"Rate exceeded"}`, unavailable: true},
		"server fault":             {status: 500, body: `{"__type":"ServerException","message":"internal"}`, unavailable: true},
		"bad gateway":              {status: 502, body: `bad gateway`, unavailable: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := adapter(t, &ecrStub{t: t, status: tc.status, body: tc.body}).Credentials(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, registry.ErrUnavailable); got != tc.unavailable {
				t.Errorf("unavailable %v, want %v: %v", got, tc.unavailable, err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token("AWS:"+secret)) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

func TestNoAnswerIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there now
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	_, err := ecrlogin.New(cfg, srv.URL).Credentials(context.Background())
	if !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("error %v, want registry.ErrUnavailable", err)
	}
}
