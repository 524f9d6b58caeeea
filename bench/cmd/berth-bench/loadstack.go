package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// requestTimeout bounds a saturated step: a request not answered within
// it is an error, so a step lasts at most its length plus this.
const requestTimeout = 10 * time.Second

// loadStack is the local stack in process, served over loopback HTTP, as
// every load step drives it.
type loadStack struct {
	*localstack.Stack
	srv    *http.Server
	client *http.Client
	// orgs is the API's URL up to /organizations/.
	orgs string
}

// startLoadStack starts the stack with each token limited to rateLimit
// requests a second (ratelimit.TokenRate when 0). Authorizer decisions are
// cached as make run and API Gateway cache them.
func startLoadStack(ctx context.Context, rateLimit float64, opts ...func(*dynamodb.Options)) (*loadStack, error) {
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	stack, err := localstack.Start(ctx, localstack.Config{Table: "berth-bench", Log: quiet, RateLimit: rateLimit, CacheDecisions: true,
		ClientOptions: opts})
	if err != nil {
		return nil, fmt.Errorf("local stack: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = stack.Close()
		return nil, err
	}
	srv := &http.Server{Handler: stack.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}}
	return &loadStack{Stack: stack, srv: srv, client: client, orgs: "http://" + ln.Addr().String() + "/api/v3/organizations/"}, nil
}

func (s *loadStack) Close() {
	_ = s.srv.Close()
	_ = s.Stack.Close()
}

// table is the store on the API's client.
func (s *loadStack) table() *store.Table { return &store.Table{Client: s.Client, Name: s.Table} }

// mintToken stores an admin token for org and returns its bearer secret.
func (s *loadStack) mintToken(ctx context.Context, org string) (string, error) {
	tok, id, secret := auth.NewSecret()
	err := s.table().CreateToken(ctx, auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{org},
		Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()})
	return tok, err
}

// answer is the API's response to one request.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends one request as tok, within requestTimeout; header adds to
// the request's headers. An error is no answer (a timeout, a refused
// connection), not a status.
func (s *loadStack) call(ctx context.Context, tok, method, url string, body []byte, header map[string]string) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	msg, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return answer{Status: res.StatusCode, Header: res.Header, Body: msg}, err
}

// expect sends one request and fails unless it is answered want. It waits
// out a 429 as a client should: setup goes as fast as the token's limit.
func (s *loadStack) expect(ctx context.Context, tok, method, url string, body []byte, want int) error {
	for {
		a, err := s.call(ctx, tok, method, url, body, nil)
		if err != nil {
			return err
		}
		if a.Status == http.StatusTooManyRequests {
			wait, _ := strconv.Atoi(a.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			continue
		}
		if a.Status != want {
			return fmt.Errorf("%s %s: %d %s", method, url, a.Status, bytes.TrimSpace(a.Body[:min(len(a.Body), 200)]))
		}
		return nil
	}
}

// perApp is the environments an application can take besides production.
const perApp = apps.MaxEnvironments - 1

// appNamed is the seed application's create body (docs/examples), named name.
func appNamed(seed []byte, name string) []byte {
	return bytes.Replace(seed, []byte(`"my-app"`), []byte(`"`+name+`"`), 1)
}

// inParallel runs fs eight at a time and returns the first error.
func inParallel(ctx context.Context, fs []func(context.Context) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	for _, f := range fs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
