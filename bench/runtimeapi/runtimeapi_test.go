package runtimeapi

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProtocol plays the function's side by hand: poll next, get the
// invocation with its headers, post the response, and Invoke returns it.
func TestProtocol(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.FirstNext().IsZero() {
		t.Fatal("a first next before any poll")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan Response, 1)
	go func() {
		r, err := s.Invoke(ctx, []byte(`{"hello":"world"}`))
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	before := time.Now()
	res, err := http.Get("http://" + s.Addr() + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	<-s.Ready()
	if first := s.FirstNext(); first.Before(before) || time.Since(first) > 5*time.Second {
		t.Errorf("first next at %v, polled at %v", first, before)
	}
	id := res.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if string(body) != `{"hello":"world"}` || id == "" || res.Header.Get("Lambda-Runtime-Deadline-Ms") == "" {
		t.Fatalf("next: %q, headers %v", body, res.Header)
	}
	post, err := http.Post("http://"+s.Addr()+"/2018-06-01/runtime/invocation/"+id+"/response", "application/json", strings.NewReader(`"hi"`))
	if err != nil || post.StatusCode != http.StatusAccepted {
		t.Fatalf("response: %v %v", post, err)
	}
	if r := <-got; string(r.Body) != `"hi"` || r.Error {
		t.Fatalf("Invoke got %+v", r)
	}
	if s.Nexts() != 1 {
		t.Errorf("%d polls, want 1", s.Nexts())
	}
	bad, _ := http.Post("http://"+s.Addr()+"/2018-06-01/runtime/invocation/nope/response", "application/json", nil)
	if bad.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown request id: %d", bad.StatusCode)
	}
	_, _ = http.Post("http://"+s.Addr()+"/2018-06-01/runtime/init/error", "application/json", strings.NewReader(`{"errorMessage":"x"}`))
	if msg := <-s.InitError(); !strings.Contains(msg, `"x"`) {
		t.Errorf("init error %q", msg)
	}
}

// TestRealRuntimeClient runs bench/hello, an aws-lambda-go function built
// with the release tags, against the Server: it must poll next, answer an
// invocation, and poll again.
func TestRealRuntimeClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "hello")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + s.Addr()}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-s.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("no first next within 10 s")
	}
	if s.FirstNext().Before(start) {
		t.Fatal("first next before the process started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := s.Invoke(ctx, []byte(`{"name":"berth"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Error || !strings.Contains(string(r.Body), "hello berth") {
		t.Fatalf("answer %+v %s", r, r.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Nexts() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Nexts() < 2 {
		t.Error("the function did not poll again after answering")
	}
}
