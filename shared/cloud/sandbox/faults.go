package sandbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/scaling"
)

// Faults make a share of the sandbox's calls fail at random, as AWS's do
// now and then: throttling, a 5xx, a reset connection, a timeout. Each is
// the error the AWS adapter returns once the SDK's retries have run out,
// so cloud.ErrUnavailable (and scaling.ErrUnavailable for the scaling
// policies' calls), which workflows and handlers retry.
//
// Most faults happen before the call does anything, as AWS's throttling
// and 5xx do. A smaller share (LostShare) are lost answers: the call
// succeeds (a resource is created, a deletion starts, a task runs) and
// then reports a reset or a timeout, so that only an idempotent retry
// (deterministic names, client tokens) puts things right. Calls that
// cannot lose an answer here (reads, updates of the sandbox's other
// ports) fail with a timeout instead.
//
// The same Seed and the same sequence of calls give the same faults.
type Faults struct {
	// Rate is the share of calls that fail, 0 to 1.
	Rate float64
	// Seed seeds the random faults.
	Seed uint64
}

// Fault kinds, as FaultCounts counts them.
const (
	FaultThrottling = "throttling"
	FaultServer     = "5xx"
	FaultReset      = "reset"
	FaultTimeout    = "timeout"
	// FaultLostAnswer: the call took effect, then failed with a reset or a timeout.
	FaultLostAnswer = "lostAnswer"
)

// Shares of the faults, in percent; they add up to 100.
const (
	throttlingShare = 35
	serverShare     = 25
	resetShare      = 15
	timeoutShare    = 15
	// LostShare is the share of faults, in percent, that are lost answers.
	LostShare = 100 - throttlingShare - serverShare - resetShare - timeoutShare
)

// FaultStats is what GET /_local/sandbox shows of the random faults.
type FaultStats struct {
	Rate float64 `json:"rate"`
	Seed uint64  `json:"seed"`
	// Calls counts the calls that could fault; Injected, the faults by kind.
	Calls    int            `json:"calls"`
	Injected map[string]int `json:"injected"`
}

// FaultError is a random fault, said as the AWS adapter says it, e.g.
// "sandbox CreateService: ThrottlingException: Rate exceeded".
type FaultError struct {
	Op   string
	Kind string // a Fault* kind; FaultLostAnswer's cause is a reset or a timeout
	// Lost says the call took effect before it failed.
	Lost bool
	err  error
}

func (e *FaultError) Error() string { return "sandbox " + e.Op + ": " + e.err.Error() }

// Unwrap is cloud.ErrUnavailable (and scaling.ErrUnavailable for a
// scaling policy's call) and the provider's error.
func (e *FaultError) Unwrap() []error {
	if strings.HasSuffix(e.Op, "ScalingPolicy") || e.Op == "ListScalingPolicies" {
		return []error{cloud.ErrUnavailable, scaling.ErrUnavailable, e.err}
	}
	return []error{cloud.ErrUnavailable, e.err}
}

// apiError is an AWS error answer: its code, message and HTTP status.
type apiError struct {
	Code, Message string
	Status        int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// SetFaults turns random faults on (rate > 0) or off, from seed, and
// resets their counts.
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Profile.Faults = f
	s.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	s.faultCalls = 0
	s.injected = map[string]int{}
}

// FaultStats reports the random faults' rate, seed and counts.
func (s *Sandbox) FaultStats() FaultStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := FaultStats{Rate: s.Profile.Faults.Rate, Seed: s.Profile.Faults.Seed, Calls: s.faultCalls, Injected: map[string]int{}}
	for _, k := range []string{FaultThrottling, FaultServer, FaultReset, FaultTimeout, FaultLostAnswer} {
		st.Injected[k] = s.injected[k]
	}
	return st
}

// call records op and reports the fault set on it, or a random one that
// happens before the call does anything. Callers hold mu.
func (s *Sandbox) call(op string) error {
	before, _ := s.draw(op, false)
	return before
}

// callLossy is call for a call that can lose its answer: after, when not
// nil, is what the caller returns once it has done what it was asked.
// Callers hold mu from callLossy until they return.
func (s *Sandbox) callLossy(op string) (before, after error) {
	return s.draw(op, true)
}

func (s *Sandbox) draw(op string, lossy bool) (before, after error) {
	s.calls = append(s.calls, op)
	if err := s.faults[op]; err != nil {
		return fmt.Errorf("sandbox %s: %w", op, err), nil
	}
	if err := s.afterFaults[op]; err != nil && lossy {
		return nil, fmt.Errorf("sandbox %s: %w", op, err)
	}
	if kinds := s.once[op]; len(kinds) > 0 {
		s.once[op] = kinds[1:]
		return s.inject(fault(op, kinds[0], 0, lossy))
	}
	rate := s.Profile.Faults.Rate
	if rate <= 0 || s.rng == nil {
		return nil, nil
	}
	s.faultCalls++
	if s.rng.Float64() >= rate {
		return nil, nil
	}
	n := s.rng.IntN(100)
	kind := FaultLostAnswer
	switch {
	case n < throttlingShare:
		kind = FaultThrottling
	case n < throttlingShare+serverShare:
		kind = FaultServer
	case n < throttlingShare+serverShare+resetShare:
		kind = FaultReset
	case n < throttlingShare+serverShare+resetShare+timeoutShare:
		kind = FaultTimeout
	}
	return s.inject(fault(op, kind, n, lossy))
}

// inject counts f and says when it happens: a lost answer after the call.
func (s *Sandbox) inject(f *FaultError) (before, after error) {
	s.injected[f.Kind]++
	if f.Lost {
		return nil, f
	}
	return f, nil
}

// fault is a fault of kind on op; n picks the 5xx and a lost answer's
// cause. A call that cannot lose its answer times out instead.
func fault(op, kind string, n int, lossy bool) *FaultError {
	switch kind {
	case FaultThrottling:
		return &FaultError{Op: op, Kind: kind, err: &apiError{Code: "ThrottlingException", Message: "Rate exceeded", Status: 400}}
	case FaultServer:
		if n%2 == 0 {
			return &FaultError{Op: op, Kind: kind, err: &apiError{Code: "ServiceUnavailable", Message: "Service is unavailable, please try again later", Status: 503}}
		}
		return &FaultError{Op: op, Kind: kind, err: &apiError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error", Status: 500}}
	case FaultReset:
		return &FaultError{Op: op, Kind: kind, err: reset()}
	case FaultLostAnswer:
		if lossy {
			cause := timeout()
			if n%2 == 0 {
				cause = reset()
			}
			return &FaultError{Op: op, Kind: kind, Lost: true, err: cause}
		}
	}
	return &FaultError{Op: op, Kind: FaultTimeout, err: timeout()}
}

// FaultOnce makes the next call of op fail with a fault of kind (a Fault*
// kind), as a random fault of that kind does: a lost answer takes effect
// first. Each call adds one more fault, spent in order.
func (s *Sandbox) FaultOnce(op, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.once == nil {
		s.once = map[string][]string{}
	}
	s.once[op] = append(s.once[op], kind)
}

// reset is the transport's error for a connection the server reset.
func reset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// timeout is the transport's error for an answer that never came.
func timeout() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

// IsFault reports whether err is a random fault of the sandbox's.
func IsFault(err error) bool {
	var f *FaultError
	return errors.As(err, &f)
}
