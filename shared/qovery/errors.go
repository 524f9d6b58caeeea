// Package qovery is Berth's Qovery dialect: the organization, project,
// environment and container endpoints of Qovery's API, over Berth's
// applications (README, "Qovery"). An organization is one of the token's
// organisations, with one project; an environment is an environment
// scope; a container is one application's environment in it.
package qovery

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/dialect"
)

// Dialect is Qovery's: its routes render errors as Qovery's API does.
var Dialect = dialect.Dialect{Name: "qovery", Render: render}

// Error is Qovery's error body (its ErrorResponse: status, error,
// message, timestamp), with each broken field under errors and Berth's
// problem type and request id.
type Error struct {
	Status    int          `json:"status"`
	Error     string       `json:"error"`
	Message   string       `json:"message"`
	Timestamp string       `json:"timestamp"`
	Errors    []FieldError `json:"errors,omitempty"`
	Type      string       `json:"type"`
	RequestID string       `json:"request_id,omitempty"`
}

// FieldError is one broken rule of one field, named as the request spells it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// now is the clock of error timestamps.
var now = time.Now

func render(w http.ResponseWriter, p dialect.Problem) {
	body := Error{
		Status: p.Status, Error: http.StatusText(p.Status), Message: p.Detail,
		Timestamp: now().UTC().Format(time.RFC3339), Type: p.Slug, RequestID: p.RequestID,
	}
	if body.Error == "" {
		body.Error = p.Title
	}
	fields := make([]string, 0, len(p.Errors))
	for f := range p.Errors {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var parts []string
	for _, f := range fields {
		for _, rule := range p.Errors[f] {
			body.Errors = append(body.Errors, FieldError{Field: f, Message: rule})
			parts = append(parts, f+" "+rule)
		}
	}
	if len(parts) > 0 {
		body.Message = "Invalid request: " + strings.Join(parts, "; ")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // the client has gone if this fails
}
