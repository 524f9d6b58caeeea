package dialect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/berth-dev/berth/shared/validation"
)

// Call is one request to a dialect's handler, once the API has
// authenticated it and read its body.
type Call struct {
	// Organisations are the token's: ids in the request resolve among them.
	Organisations []string
	// By is the token's id, recorded on what the call changes.
	By string
	// Body is the request body, JSON whatever its Content-Type said:
	// Cloud Foundry's clients send JSON as form data.
	Body  []byte
	Path  func(name string) string
	Query url.Values
	// Acting names the organisation the call acts in, once an id resolved
	// it, so that its audit event is that organisation's.
	Acting  func(org string)
	Service *Service
}

// Reply is a handler's answer: the status, the body to encode as JSON,
// and its Location, if any.
type Reply struct {
	Status   int
	Body     any
	Location string
}

// Handler is one dialect endpoint.
type Handler func(ctx context.Context, c Call) (Reply, error)

// Refusal is a dialect's own refusal: a status and problem slug the
// dialect's renderer knows, with the sentence a user reads.
type Refusal struct {
	Status int
	Slug   string
	Title  string
	Detail string
}

func (e *Refusal) Error() string { return e.Detail }

// MaxBody is the most bytes a dialect's body may have.
const MaxBody = 64 << 10

// Decode reads a JSON object into v. A body that is not a JSON object, or
// a field of the wrong type, is a validation error naming the field.
// Unknown fields are ignored, as the other systems' own servers do.
func Decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return validation.Errors{"body": {"is required: send a JSON object"}}
	}
	if body[0] != '{' {
		return validation.Errors{"body": {"must be a JSON object"}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return validation.Errors{"body": {"must hold one JSON object, with nothing after it"}}
		}
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return validation.Errors{typeErr.Field: {fmt.Sprintf("must be %s; got %s", article(typeErr.Type.Kind().String()), typeErr.Value)}}
	default:
		return validation.Errors{"body": {"must be valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}}
	}
}

func article(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a " + kind
}
