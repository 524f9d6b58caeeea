package apps

import (
	"errors"
	"fmt"
)

// Kinds of failure the API turns into HTTP statuses. Test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
	// ErrPrecondition: the record changed since the client read it (If-Match).
	ErrPrecondition = errors.New("precondition failed")
)

// Error is a failure whose Message is safe to show to the API client.
type Error struct {
	Kind    error
	Message string
	// Cause is the underlying error, for logs only.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// NotFound builds an ErrNotFound with a client-facing message.
func NotFound(format string, args ...any) *Error {
	return &Error{Kind: ErrNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflict builds an ErrConflict with a client-facing message.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

func unavailable(cause error, format string, args ...any) *Error {
	return &Error{Kind: ErrUnavailable, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// PreconditionFailed builds an ErrPrecondition with a client-facing message.
func PreconditionFailed(format string, args ...any) *Error {
	return &Error{Kind: ErrPrecondition, Message: fmt.Sprintf(format, args...)}
}

// Unavailable builds an ErrUnavailable: the request may succeed if retried.
func Unavailable(cause error, format string, args ...any) *Error {
	return unavailable(cause, format, args...)
}
