package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/backpressure"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/registry"
	"github.com/berth-dev/berth/shared/validation"
)

// Problem is the body of every error response: RFC 9457 problem details,
// plus Quant's own keys (message, and errors keyed by field path), so that
// clients built for either shape can read it.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail"`
	Instance string            `json:"instance,omitempty"`
	Message  string            `json:"message"`
	Errors   validation.Errors `json:"errors,omitempty"`
	// Error repeats message on compose-invalid problems, under the key
	// Quant's validateCompose answers 422 with.
	Error     string `json:"error,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// ProblemBase prefixes every problem type; docs/errors.md describes each.
const ProblemBase = "https://berth.dev/problems/"

type problemKind struct {
	status int
	slug   string
	title  string
}

var (
	kindValidation   = problemKind{http.StatusBadRequest, "validation-failed", "The request is invalid"}
	kindMalformed    = problemKind{http.StatusBadRequest, "malformed-request", "The request body is not valid JSON"}
	kindTooLarge     = problemKind{http.StatusRequestEntityTooLarge, "body-too-large", "The request body is too large"}
	kindMediaType    = problemKind{http.StatusUnsupportedMediaType, "unsupported-media-type", "The request body must be JSON"}
	kindNotFound     = problemKind{http.StatusNotFound, "not-found", "Not found"}
	kindNoRoute      = problemKind{http.StatusNotFound, "no-such-route", "No such route"}
	kindMethod       = problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"}
	kindConflict     = problemKind{http.StatusConflict, "conflict", "Conflict"}
	kindPrecondition = problemKind{http.StatusPreconditionFailed, "precondition-failed", "Precondition failed"}
	kindUnavailable  = problemKind{http.StatusServiceUnavailable, "unavailable", "Service unavailable"}
	kindInternal     = problemKind{http.StatusInternalServerError, "internal", "Internal error"}
	kindCompose      = problemKind{http.StatusUnprocessableEntity, "compose-invalid", "The compose file cannot be translated"}

	kindUnauthenticated = problemKind{http.StatusUnauthorized, "unauthenticated", "Authentication required"}
	kindForbidden       = problemKind{http.StatusForbidden, "forbidden", "Forbidden"}
	kindRateLimited     = problemKind{http.StatusTooManyRequests, "rate-limited", "Too many requests"}
	kindKeyReused       = problemKind{http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused"}
	kindKeyInFlight     = problemKind{http.StatusConflict, "idempotency-key-in-flight", "Idempotency-Key in flight"}
	kindSecretNotKept   = problemKind{http.StatusConflict, "secret-not-kept", "Secret shown once"}
)

// requestError is a problem found before the domain ran.
type requestError struct {
	kind    problemKind
	message string
	errors  validation.Errors
}

func (e *requestError) Error() string { return e.message }

func invalidField(field, rule string) *requestError {
	return invalid(validation.Errors{field: {rule}})
}

func invalid(errs validation.Errors) *requestError {
	return &requestError{kind: kindValidation, message: "The request is invalid: see errors for each field.", errors: errs}
}

// writeProblem answers with a problem. Messages of 5xx problems are
// generic: internals go to the log, never to the client.
func writeProblem(w http.ResponseWriter, r *http.Request, kind problemKind, message string, errs validation.Errors) {
	p := Problem{
		Type: ProblemBase + kind.slug, Title: kind.title, Status: kind.status,
		Detail: message, Message: message, Errors: errs,
		Instance: r.URL.Path, RequestID: requestID(r.Context()),
	}
	if kind == kindCompose {
		p.Error = message
	}
	if d := dialectOf(r.Context()); d != nil {
		w.Header().Set("Cache-Control", "no-store")
		d.Render(w, dialect.Problem{Status: kind.status, Slug: kind.slug, Title: kind.title, Detail: message, Errors: errs, RequestID: p.RequestID})
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(kind.status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // the client has gone if this fails; nothing to do
}

// retryAfter is every 503's Retry-After, in seconds.
var retryAfter = strconv.Itoa(backpressure.RetryAfterSeconds)

// fail turns an error from parsing or the domain into its problem.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		reqErr  *requestError
		errs    validation.Errors
		appsErr *apps.Error
		refusal *dialect.Refusal
	)
	switch {
	case errors.As(err, &refusal):
		writeProblem(w, r, problemKind{refusal.Status, refusal.Slug, refusal.Title}, refusal.Detail, nil)
	case errors.As(err, &reqErr):
		writeProblem(w, r, reqErr.kind, reqErr.message, reqErr.errors)
	case errors.As(err, &errs):
		writeProblem(w, r, kindValidation, "The request is invalid: see errors for each field.", errs)
	case errors.As(err, &appsErr) && errors.Is(err, apps.ErrNotFound):
		writeProblem(w, r, kindNotFound, appsErr.Message, nil)
	case errors.As(err, &appsErr) && errors.Is(err, apps.ErrConflict):
		writeProblem(w, r, kindConflict, appsErr.Message, nil)
	case errors.As(err, &appsErr) && errors.Is(err, apps.ErrPrecondition):
		writeProblem(w, r, kindPrecondition, appsErr.Message, nil)
	case errors.As(err, &appsErr) && errors.Is(err, apps.ErrUnavailable):
		noteError(r.Context(), err)
		w.Header().Set("Retry-After", retryAfter)
		writeProblem(w, r, kindUnavailable, appsErr.Message, nil)
	case errors.Is(err, registry.ErrUnavailable):
		noteError(r.Context(), err)
		w.Header().Set("Retry-After", retryAfter)
		writeProblem(w, r, kindUnavailable, "the container registry did not answer; retry the request", nil)
	case backpressure.Is(err):
		// DynamoDB or Step Functions pushed back (throttling, a limit, a
		// transaction conflict) beyond the SDK's retries: the request
		// was sound and may succeed later, so 503, not 500.
		noteError(r.Context(), err)
		w.Header().Set("Retry-After", retryAfter)
		writeProblem(w, r, kindUnavailable, "Berth is busy; retry the request after Retry-After seconds", nil)
	default:
		noteError(r.Context(), err)
		writeProblem(w, r, kindInternal, "Something went wrong on our side. Retry later, quoting the requestId if it persists.", nil)
	}
}
