package cli

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/progress"
)

func TestTolerantOutlivesBlipsButNotProblems(t *testing.T) {
	errs := []error{nil, &client.Problem{Status: http.StatusServiceUnavailable}, errors.New("connection reset"), nil, &client.Problem{Status: http.StatusNotFound}}
	i := 0
	poll := tolerant(func(context.Context) (progress.Snapshot, error) {
		err := errs[i]
		i++
		return progress.Snapshot{Status: "RUNNING"}, err
	})
	for n := 0; n < 4; n++ {
		if s, err := poll(context.Background()); err != nil || s.Status != "RUNNING" {
			t.Fatalf("poll %d: %v %v", n, s, err)
		}
	}
	if _, err := poll(context.Background()); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a 404 passed: %v", err)
	}
	down := tolerant(func(context.Context) (progress.Snapshot, error) { return progress.Snapshot{}, errors.New("down") })
	var err error
	for n := 0; n < 6 && err == nil; n++ {
		_, err = down(context.Background())
	}
	if err == nil {
		t.Fatal("six failures in a row passed")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string][]string{
		"exit 3":                {"exit", "3"},
		"echo 'hello world'":    {"echo", "hello world"},
		"echo a; exit 3":        {"echo a; exit 3"},
		`echo 'it'\''s' ''`:     {"echo", "it's", ""},
		"printenv GREETING X=1": {"printenv", "GREETING", "X=1"},
	} {
		if got := shellQuote(want); got != in {
			t.Errorf("shellQuote(%q) = %q, want %q", want, got, in)
		}
	}
}
