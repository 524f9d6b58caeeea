package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/authorizer"
	"github.com/berth-dev/berth/shared/idempotency"
)

// Authenticate finds who a request acts as; auth.ErrUnauthenticated when
// it carries no valid token.
type Authenticate func(*http.Request) (auth.Principal, error)

// FromGateway reads the principal API Gateway's authorizer put in the
// request context. A request without one fails closed.
func FromGateway(r *http.Request) (auth.Principal, error) {
	gw, ok := core.GetAPIGatewayContextFromContext(r.Context())
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return authorizer.Principal(gw.Authorizer)
}

// ThroughAuthorizer runs the authorizer's own code on each request, as API
// Gateway would, for the local stack.
func ThroughAuthorizer(a *authorizer.Authorizer) Authenticate {
	return func(r *http.Request) (auth.Principal, error) {
		res, err := a.Authorize(r.Context(), localAuthorizerRequest(r))
		if errors.Is(err, authorizer.ErrUnauthorized) {
			return auth.Principal{}, auth.ErrUnauthenticated
		}
		if err != nil {
			return auth.Principal{}, err
		}
		return authorizer.Principal(res.Context)
	}
}

// Limiter throttles each token; the local stack's stands in for API
// Gateway's usage plans.
type Limiter interface {
	// Allow reports whether the token may make a request now, and if not,
	// when to retry.
	Allow(tokenID string) (bool, time.Duration)
}

type principalKey struct{}

func principalFrom(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(principalKey{}).(auth.Principal)
	return p
}

// guard runs before every route: authentication (401), organisation
// membership (404, so that another organisation's resources cannot even
// be probed), role (403), rate (429), then the handler, with idempotency
// keys and an audit event for mutations.
func (s *Server) guard(rt Route, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		if errors.Is(err, auth.ErrUnauthenticated) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="berth"`)
			writeProblem(w, r, kindUnauthenticated, "Send a valid API token: Authorization: Bearer berth_...", nil)
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		if rt.Dialect != nil && len(p.Organisations) > 0 {
			// A dialect's ids resolve among the token's organisations; its
			// audit event and idempotency keys start in the first, and
			// move to the one an id resolves to (dialect.Call.Acting).
			r.SetPathValue("organisation", p.Organisations[0])
		}
		if !p.Member(r.PathValue("organisation")) {
			writeProblem(w, r, kindNotFound, "No such organisation, or this token may not act on it.", nil)
			return
		}
		if need := rt.Needs(); !p.Role.Covers(need) {
			writeProblem(w, r, kindForbidden, fmt.Sprintf("This needs a token with the %s role; this token has %s.", need, p.Role), nil)
			return
		}
		if s.Limiter != nil {
			if ok, retry := s.Limiter.Allow(p.TokenID); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry.Round(time.Second)/time.Second))))
				writeProblem(w, r, kindRateLimited, "Too many requests for this token; retry after the given seconds.", nil)
				return
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if rt.Secrets {
			r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, MaxSecretBodyBytes))
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead || rt.Stateless {
			h(w, r)
			return
		}
		// The store writes this event with the request's change when it
		// can; audit writes it otherwise, or again with another outcome.
		pending := &audit.Pending{Event: audit.Event{
			Organisation: r.PathValue("organisation"), TokenID: p.TokenID, Action: rt.Name,
			Target: r.URL.Path, Outcome: rt.Success, RequestID: requestID(r.Context()), Time: s.now(),
		}}
		r = r.WithContext(audit.WithPending(r.Context(), pending))
		rec := &recorder{header: http.Header{}}
		if key, ok := r.Header["Idempotency-Key"]; ok {
			s.idempotent(rec, r, rt, p, key[0], h)
		} else {
			s.audited(rec, r, rt, h)
		}
		rec.copyTo(w)
	}
}

// audited runs h and writes the audit event, also when h panics (the
// panic goes on to the edge, which answers 500).
func (s *Server) audited(w *recorder, r *http.Request, rt Route, h http.HandlerFunc) {
	defer func() {
		status := w.status
		if v := recover(); v != nil {
			defer panic(v)
			status = http.StatusInternalServerError
		}
		s.audit(r, rt, status)
	}()
	h(w, r)
}

// afterResponse is the context for writes that must happen once the
// response is decided: not cancelled with the request, but bounded.
func afterResponse(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
}

// audit writes the request's event with its outcome, unless the store
// already wrote it, with that outcome, in the request's transaction. A
// write is retried: when the transaction wrote the route's success and the
// request then failed (its change undone), the event must not go on
// saying it succeeded.
func (s *Server) audit(r *http.Request, rt Route, status int) {
	e := audit.PendingFrom(r.Context())
	if e.Written && e.Event.Outcome == status {
		return
	}
	e.Event.Outcome = status
	ctx, cancel := afterResponse(r)
	defer cancel()
	if err := retry(ctx, func() error { return s.Audit.AppendAudit(ctx, e.Event) }); err != nil {
		noteError(r.Context(), fmt.Errorf("audit event of %s %s (outcome %d) not written: %w", rt.Name, r.URL.Path, status, err))
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// idempotent runs h at most once per Idempotency-Key and request. A
// repeat gets the first response again; a repeat with another request
// gets 422; a repeat while the first runs gets 409.
func (s *Server) idempotent(w *recorder, r *http.Request, rt Route, p auth.Principal, clientKey string, h http.HandlerFunc) {
	if !idempotency.ValidKey(clientKey) {
		fail(w, r, invalidField("Idempotency-Key", "must be 1 to 255 printable ASCII characters"))
		s.audit(r, rt, w.status)
		return
	}
	key := idempotency.Scope(p.TokenID, clientKey)
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, bodyLimit(r)))
	if err != nil {
		fail(w, r, bodyReadError(err))
		s.audit(r, rt, w.status)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The lock is this request's own: a client-chosen request id could be shared.
	org, lock := r.PathValue("organisation"), newLock()
	fpBody := body
	if rt.Secrets {
		// Not even a digest of a secret value is stored.
		fpBody = nil
	}
	fp := idempotency.Fingerprint(r.Method, r.URL.RequestURI(), fpBody)
	prev, err := s.Idempotency.BeginIdempotent(r.Context(), org, key, idempotency.NewClaim(fp, lock, s.now()))
	if err == nil && prev != nil && prev.Fingerprint == fp && !prev.Done {
		prev, err = s.awaitIdempotent(r.Context(), org, key, fp)
	}
	switch {
	case err != nil:
		fail(w, r, err)
	case prev != nil && prev.Fingerprint != fp:
		writeProblem(w, r, kindKeyReused, "This Idempotency-Key was used with a different request; use a new key for a new request.", nil)
	case prev != nil && !prev.Done:
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, kindKeyInFlight, "A request with this Idempotency-Key is still in progress; retry shortly.", nil)
	case prev != nil && prev.Response.Redacted:
		w.Header().Set("Location", prev.Response.Headers["Location"])
		writeProblem(w, r, kindSecretNotKept, "This Idempotency-Key already created "+prev.Response.Headers["Location"]+
			"; its secret was shown once and is not kept. Revoke it if the secret was lost, and create another.", nil)
	case prev != nil:
		for k, v := range prev.Response.Headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(prev.Response.Status)
		_, _ = w.Write(prev.Response.Body)
	default:
		s.runClaimed(w, r, rt, org, key, lock, h)
		return
	}
	s.audit(r, rt, w.status)
}

// runClaimed runs h under a claimed key and settles the key: it stores a
// response below 500, and frees the key after a 5xx or a panic, so that a
// retry may run. Settling outlives the request's context, and is retried:
// a claim left in flight would let the request run again once its lock lapses.
func (s *Server) runClaimed(w *recorder, r *http.Request, rt Route, org, key, lock string, h http.HandlerFunc) {
	defer func() {
		panicked := recover()
		ctx, cancel := afterResponse(r)
		defer cancel()
		if panicked != nil || w.status >= 500 {
			err := retry(ctx, func() error { return s.Idempotency.AbandonIdempotent(ctx, org, key, lock) })
			if err != nil {
				noteError(r.Context(), err)
			}
			if panicked != nil {
				s.audit(r, rt, http.StatusInternalServerError)
				panic(panicked)
			}
			s.audit(r, rt, w.status)
			return
		}
		res := idempotency.Response{Status: w.status, Body: w.body.Bytes(), Headers: map[string]string{}}
		if rt.Secret && w.status < 300 {
			res.Body, res.Redacted = nil, true
		}
		for _, k := range []string{"Content-Type", "Location", "Cache-Control", "Warning", "Link"} {
			// A list field's values combine into one, comma-separated (RFC 9110 section 5.3).
			if v := strings.Join(w.header.Values(k), ", "); v != "" {
				res.Headers[k] = v
			}
		}
		if err := retry(ctx, func() error { return s.Idempotency.CompleteIdempotent(ctx, org, key, lock, res) }); err != nil {
			noteError(r.Context(), err)
		}
		s.audit(r, rt, w.status)
	}()
	h(w, r)
}

// retry runs f up to three times, backing off between tries.
func retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 3 {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	return err
}

func newLock() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// awaitIdempotent polls a key held by a request in flight until it is done
// or WaitInFlight passes, and returns the record as last read. A key the
// first request released (it failed) reads as still in flight: the client
// retries, and its retry claims the key.
func (s *Server) awaitIdempotent(ctx context.Context, org, key, fp string) (*idempotency.Record, error) {
	wait := s.IdempotencyWait
	if wait == 0 {
		wait = idempotency.WaitInFlight
	}
	deadline := time.Now().Add(wait)
	for pause := 25 * time.Millisecond; ; pause = min(2*pause, 400*time.Millisecond) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		rec, err := s.Idempotency.GetIdempotent(ctx, org, key)
		if err != nil || rec == nil || rec.Done || time.Now().After(deadline) {
			if rec == nil && err == nil {
				return &idempotency.Record{Fingerprint: fp}, nil
			}
			return rec, err
		}
	}
}

// recorder buffers a response, so that it can be stored for idempotent
// replays and its status audited before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}

func (rec *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes()) // the client has gone if this fails; nothing to do
}
