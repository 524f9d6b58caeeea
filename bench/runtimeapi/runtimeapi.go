// Package runtimeapi is a minimal Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) for
// measuring cold starts: a function process started with
// AWS_LAMBDA_RUNTIME_API pointing at a Server polls /invocation/next once
// its init is done, and the Server records when that first poll arrived.
package runtimeapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const prefix = "/2018-06-01/runtime/"

// Server is one function's Runtime API. Use New, then Close.
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu        sync.Mutex
	firstNext time.Time
	nexts     int
	ready     chan struct{} // closed at the first next
	initErr   chan string
	events    chan invocation
	waiting   map[string]chan Response
	seq       int
}

type invocation struct {
	id      string
	payload []byte
}

// Response is what the function answered to one invocation.
type Response struct {
	Body  []byte
	Error bool // posted to /error rather than /response
}

// New listens on a free loopback port and serves the Runtime API.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, ready: make(chan struct{}), initErr: make(chan string, 1),
		events: make(chan invocation, 16), waiting: map[string]chan Response{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API (host:port, no scheme).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving; pending polls end.
func (s *Server) Close() error { return s.srv.Close() }

// Ready is closed when the first GET /invocation/next arrives.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitError receives the body of a POST /init/error.
func (s *Server) InitError() <-chan string { return s.initErr }

// FirstNext is when the first GET /invocation/next arrived (zero before).
func (s *Server) FirstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// Nexts counts the polls of /invocation/next so far.
func (s *Server) Nexts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nexts
}

// Invoke hands payload to the function's next poll and waits for its answer.
func (s *Server) Invoke(ctx context.Context, payload []byte) (Response, error) {
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("req-%06d", s.seq)
	done := make(chan Response, 1)
	s.waiting[id] = done
	s.mu.Unlock()
	select {
	case s.events <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		s.next(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		select {
		case s.initErr <- string(body):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if kind != "response" && kind != "error" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		done := s.waiting[id]
		delete(s.waiting, id)
		s.mu.Unlock()
		if done == nil {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		done <- Response{Body: body, Error: kind == "error"}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	s.nexts++
	if s.firstNext.IsZero() {
		s.firstNext = now
		close(s.ready)
	}
	s.mu.Unlock()
	select {
	case inv := <-s.events:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}
