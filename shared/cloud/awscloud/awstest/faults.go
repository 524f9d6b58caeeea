package awstest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// The faults are made in the HTTP client's transport, under the whole
// middleware stack, rather than by a middleware: so each fault is only
// what AWS or the network would give the SDK (an error answer in the
// service's protocol, or a failed round trip), and the SDK's own parts do
// the rest as they would against AWS: its ClientHandler wraps a failed
// round trip, its deserialisers read the error answer, its standard
// retryer classifies and retries, and the idempotency tokens its
// Initialize step fills in stay the same on every attempt. A middleware
// under the deserialisers would have had to fake the ClientHandler's
// wrapping; one above them, the error answers.

// Shares of the faults, in percent, as the sandbox's (its vocabulary,
// sandbox.Fault*): lost answers reach the stub and are then dropped.
const (
	throttlingShare = 35
	serverShare     = 25
	resetShare      = 15
	timeoutShare    = 10 // the rest are lost answers
)

// MaxAttempts is how often the retryer of ConfigWithFaults tries a call.
const MaxAttempts = 10

// Fault is one fault injected: the attempt it hit (counting all of the
// stub's attempts from 1), its operation and its kind.
type Fault struct {
	Attempt int
	Op      string
	Kind    string
}

// injector is the transport that fails a share of the attempts at random.
type injector struct {
	base http.RoundTripper

	mu       sync.Mutex
	rate     float64
	rng      *rand.Rand
	attempts int
	injected map[string]int
	log      []Fault
}

func newInjector(f sandbox.Faults) *injector {
	return &injector{
		base: http.DefaultTransport, rate: f.Rate,
		rng:      rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15)),
		injected: map[string]int{},
	}
}

// ConfigWithFaults is Config with faults injected at f's rate, from f's
// seed, and the SDK's standard retryer in place of none: MaxAttempts
// attempts, no backoff so tests are fast, and no retry quota, which
// would stop retrying in a test that makes more calls on one client than
// a Lambda does. Later calls replace the stub's faults.
func (s *Stub) ConfigWithFaults(f sandbox.Faults) aws.Config {
	in := newInjector(f)
	s.mu.Lock()
	s.faults = in
	s.mu.Unlock()
	cfg := s.Config()
	cfg.HTTPClient = &http.Client{Transport: in}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = MaxAttempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

// FaultStats counts the attempts and the faults injected by kind.
func (s *Stub) FaultStats() sandbox.FaultStats {
	in := s.injector()
	in.mu.Lock()
	defer in.mu.Unlock()
	st := sandbox.FaultStats{Rate: in.rate, Calls: in.attempts, Injected: map[string]int{}}
	for k, n := range in.injected {
		st.Injected[k] = n
	}
	return st
}

// FaultLog lists the faults injected, in order.
func (s *Stub) FaultLog() []Fault {
	in := s.injector()
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Fault(nil), in.log...)
}

func (s *Stub) injector() *injector {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.t.Fatal("no faults: use ConfigWithFaults")
	}
	return s.faults
}

// RoundTrip sends r to the stub, or fails it with a fault.
func (in *injector) RoundTrip(r *http.Request) (*http.Response, error) {
	var raw []byte
	if r.Body != nil {
		raw, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
	}
	send := r.Clone(r.Context())
	send.Body = io.NopCloser(bytes.NewReader(raw))
	req := parse(r, raw)
	kind, n := in.draw(req.Op)
	switch kind {
	case sandbox.FaultThrottling:
		return answer(r, req, throttling(req.Protocol)), nil
	case sandbox.FaultServer:
		if n%2 == 0 {
			return answer(r, req, Reply{Code: "ServiceUnavailable", Msg: "Service is unavailable, please try again later", Status: 503}), nil
		}
		return answer(r, req, Reply{Code: "InternalFailure", Msg: "The request processing has failed because of an unknown error", Status: 500}), nil
	case sandbox.FaultReset:
		return nil, reset()
	case sandbox.FaultTimeout:
		return nil, timeout()
	case sandbox.FaultLostAnswer:
		// The stub acts on the request; its answer is lost on the way back.
		if resp, err := in.base.RoundTrip(send); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		if n%2 == 0 {
			return nil, reset()
		}
		return nil, timeout()
	}
	return in.base.RoundTrip(send)
}

// draw picks the attempt's fault, "" for none, and the number that chose it.
func (in *injector) draw(op string) (string, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.attempts++
	if in.rate <= 0 || in.rng.Float64() >= in.rate {
		return "", 0
	}
	n := in.rng.IntN(100)
	kind := sandbox.FaultLostAnswer
	switch {
	case n < throttlingShare:
		kind = sandbox.FaultThrottling
	case n < throttlingShare+serverShare:
		kind = sandbox.FaultServer
	case n < throttlingShare+serverShare+resetShare:
		kind = sandbox.FaultReset
	case n < throttlingShare+serverShare+resetShare+timeoutShare:
		kind = sandbox.FaultTimeout
	}
	in.injected[kind]++
	in.log = append(in.log, Fault{Attempt: in.attempts, Op: op, Kind: kind})
	return kind, n
}

// throttling is each protocol's throttling answer, with the code and
// status its services send: EC2's RequestLimitExceeded and S3's SlowDown
// are 503s.
func throttling(protocol string) Reply {
	switch protocol {
	case "ec2":
		return Reply{Code: "RequestLimitExceeded", Msg: "Request limit exceeded.", Status: 503}
	case "query":
		return Reply{Code: "Throttling", Msg: "Rate exceeded", Status: 400}
	case "rest":
		return Reply{Code: "ThrottlingException", Msg: "Rate exceeded", Status: 429}
	case "restxml":
		return Reply{Code: "SlowDown", Msg: "Please reduce your request rate.", Status: 503}
	}
	return Reply{Code: "ThrottlingException", Msg: "Rate exceeded", Status: 400}
}

// answer is rep as the stub would write it for req.
func answer(r *http.Request, req Request, rep Reply) *http.Response {
	rec := httptest.NewRecorder()
	write(rec, req, rep)
	resp := rec.Result()
	resp.Request = r
	return resp
}

// reset is the transport's error for a connection the server reset.
func reset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// timeout is the transport's error for an answer that never came.
func timeout() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}
