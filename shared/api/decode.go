package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/validation"
)

// MaxBodyBytes caps request bodies. 64 KiB is also the most ECS takes for
// a whole task definition, which is what a body here becomes.
const MaxBodyBytes = 64 << 10

// MaxSecretBodyBytes caps the body of a route that sets a secret: a
// 64 KiB value, each byte escaped in JSON as \u00XX at worst.
const MaxSecretBodyBytes int64 = 400 << 10

type bodyLimitKey struct{}

// bodyLimit is the most bytes r's body may have.
func bodyLimit(r *http.Request) int64 {
	if n, ok := r.Context().Value(bodyLimitKey{}).(int64); ok {
		return n
	}
	return MaxBodyBytes
}

// MaxDepth bounds how deeply a body may nest objects and arrays; the
// deepest valid body nests 6 levels.
const MaxDepth = 16

// depth returns how deeply b nests objects and arrays, outside strings.
func depth(b []byte) int {
	deepest, d, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

// FieldValidation says what a body's unknown fields do, as Kubernetes'
// ?fieldValidation= does: Ignore drops them, Warn drops them and names each
// in a Warning header, Strict refuses the request (400).
type FieldValidation string

// Field validation modes.
const (
	FieldsIgnore FieldValidation = "Ignore"
	FieldsWarn   FieldValidation = "Warn"
	FieldsStrict FieldValidation = "Strict"
)

// fieldValidationParam is the query parameter that overrides a route's mode.
const fieldValidationParam = "fieldValidation"

// decodeBody reads a JSON object from r into v. Before v sees the body, it
// checks the whole document against v's shape, so that every unknown field
// and wrong type is reported with its full path, not just the first.
// Unknown fields follow mode, or the request's ?fieldValidation=.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, mode FieldValidation) error {
	if q := r.URL.Query(); q.Has(fieldValidationParam) {
		asked := FieldValidation(q.Get(fieldValidationParam))
		if asked != FieldsIgnore && asked != FieldsWarn && asked != FieldsStrict {
			return invalid(validation.Errors{fieldValidationParam: {"must be one of Ignore, Warn, Strict"}})
		}
		if mode != FieldsStrict { // a strict route stays strict
			mode = asked
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &requestError{kind: kindMediaType, message: "Send the body as JSON, with Content-Type: application/json."}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, bodyLimit(r)))
	if err != nil {
		return bodyReadError(err)
	}
	unknown, err := decodeJSON(body, v, mode == FieldsStrict)
	if err != nil {
		return err
	}
	if mode == FieldsWarn {
		warnUnknown(w.Header(), unknown)
	}
	return nil
}

// maxWarnings bounds the Warning headers of one response: a 64 KiB body
// of unknown keys would otherwise make thousands, past what proxies take.
const maxWarnings = 20

// warnUnknown names each unknown field in a Warning header (RFC 7234
// section 5.5, code 299), as a quoted-string: bytes outside visible ASCII
// are percent-encoded, since a quoted-string cannot carry them.
func warnUnknown(h http.Header, unknown []string) {
	for i, f := range unknown {
		if i == maxWarnings {
			h.Add("Warning", fmt.Sprintf(`299 - "and %d more unknown fields"`, len(unknown)-i))
			return
		}
		var b strings.Builder
		for j := 0; j < len(f); j++ {
			switch c := f[j]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c >= 0x7f || c == '%':
				fmt.Fprintf(&b, "%%%02X", c)
			default:
				b.WriteByte(c)
			}
		}
		h.Add("Warning", `299 - "unknown field `+b.String()+`"`)
	}
}

func bodyReadError(err error) *requestError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &requestError{kind: kindTooLarge, message: fmt.Sprintf("The body must be at most %d bytes.", tooLarge.Limit),
			errors: validation.Errors{"body": {fmt.Sprintf("must be at most %d bytes", tooLarge.Limit)}}}
	}
	return &requestError{kind: kindMalformed, message: "The body could not be read.", errors: validation.Errors{"body": {"could not be read"}}}
}

// decodeJSON is decodeBody after the body is read; the fuzz tests drive it.
// Unknown fields are errors when strict; otherwise they are left out of v
// (encoding/json would match "appname" to appName) and returned, sorted.
func decodeJSON(body []byte, v any, strict bool) ([]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &requestError{kind: kindValidation, message: "The body is required.", errors: validation.Errors{"body": {"is required"}}}
	}
	if depth(body) > MaxDepth {
		return nil, &requestError{kind: kindMalformed, message: fmt.Sprintf("The body nests deeper than %d levels.", MaxDepth),
			errors: validation.Errors{"body": {fmt.Sprintf("must not nest objects and arrays deeper than %d levels", MaxDepth)}}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	errs := validation.Errors{}
	doc, err := readValue(dec, "", errs)
	if err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &requestError{kind: kindMalformed, message: "The body must hold exactly one JSON value.",
			errors: validation.Errors{"body": {"must hold exactly one JSON value"}}}
	}
	if _, ok := doc.(map[string]any); !ok {
		errs.Add("body", "must be a JSON object")
		return nil, invalid(errs)
	}
	shape := &shapeCheck{errs: errs, strict: strict}
	shape.check(doc, reflect.TypeOf(v), "")
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	if len(shape.unknown) > 0 {
		// The unknown keys were removed from doc: decode what is left.
		if body, err = json.Marshal(doc); err != nil {
			return nil, malformed(err)
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		// check accepts only what Unmarshal does; reaching here is a bug
		// in check, but still the client's input, so still a 400.
		return nil, malformed(err)
	}
	slices.Sort(shape.unknown)
	return shape.unknown, nil
}

// readValue reads the JSON value at dec's position as Decode would (numbers
// as json.Number) and records every key an object repeats, by path:
// encoding/json would keep the last one silently, so {"appName":"a",
// "appName":"b"} could pass a proxy's check with one name and act on the
// other.
func readValue(dec *json.Decoder, path string, errs validation.Errors) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF && path != "" {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	at := path
	if at == "" {
		at = "body"
	}
	switch delim {
	case '{':
		obj := map[string]any{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := key.(string) // the decoder allows only strings here
			p := validation.Join(path, name)
			v, err := readValue(dec, p, errs)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[name]; dup {
				errs.Add(p, "appears more than once; send each field once")
			}
			obj[name] = v
		}
		_, err = dec.Token() // '}'
		return obj, endErr(err)
	default: // '['
		arr := []any{}
		for i := 0; dec.More(); i++ {
			v, err := readValue(dec, validation.Index(at, i), errs)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token() // ']'
		return arr, endErr(err)
	}
}

// endErr: a document that stops before closing what it opened ends too early.
func endErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func malformed(err error) *requestError {
	rule := "is not valid JSON"
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		rule = fmt.Sprintf("is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		rule = "is not valid JSON: it ends too early"
	}
	return &requestError{kind: kindMalformed, message: "The body " + rule + ".", errors: validation.Errors{"body": {rule}}}
}

// shapeCheck compares a decoded JSON document with the Go type it will be
// decoded into, recording wrong types by path, and unknown fields as
// errors when strict, else in unknown (removing them from the document).
// Field names must match exactly; encoding/json alone would accept any case.
type shapeCheck struct {
	errs    validation.Errors
	strict  bool
	unknown []string
}

// shapeRule is a field type that checks its own JSON shape, for shapes a
// kind cannot say (deploy.Units: an integer, or a string holding one).
type shapeRule interface {
	// ShapeRule is the rule doc breaks, or "" when it has the shape.
	ShapeRule(doc any) string
}

func (c *shapeCheck) check(doc any, t reflect.Type, path string) {
	errs := c.errs
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if doc == nil {
		return // null leaves the field unset; required fields are checked later
	}
	at := path
	if at == "" {
		at = "body"
	}
	if r, ok := reflect.New(t).Interface().(shapeRule); ok {
		if rule := r.ShapeRule(doc); rule != "" {
			errs.Add(at, rule)
		}
		return
	}
	if t == timeType {
		s, ok := doc.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			errs.Add(at, "must be an RFC 3339 date-time, such as 2027-01-31T12:00:00Z")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := doc.(map[string]any)
		if !ok {
			errs.Add(at, "must be an object")
			return
		}
		fields := jsonFields(t)
		for name, val := range obj {
			f, ok := fields[name]
			switch {
			case !ok && c.strict:
				errs.Add(validation.Join(path, name), "is not a known field")
				continue
			case !ok:
				c.unknown = append(c.unknown, validation.Join(path, name))
				delete(obj, name)
				continue
			}
			c.check(val, f, validation.Join(path, name))
		}
	case reflect.Slice:
		arr, ok := doc.([]any)
		if !ok {
			errs.Add(at, "must be an array")
			return
		}
		for i, el := range arr {
			if el == nil {
				errs.Add(validation.Index(at, i), "must not be null")
				continue
			}
			c.check(el, t.Elem(), validation.Index(at, i))
		}
	case reflect.String:
		if _, ok := doc.(string); !ok {
			errs.Add(at, "must be a string")
		}
	case reflect.Bool:
		if _, ok := doc.(bool); !ok {
			errs.Add(at, "must be a boolean")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := doc.(json.Number)
		if !ok {
			errs.Add(at, "must be an integer")
			return
		}
		if strings.ContainsAny(n.String(), ".eE") {
			errs.Add(at, "must be an integer")
		} else if _, err := strconv.ParseInt(n.String(), 10, int(t.Size())*8); err != nil {
			errs.Add(at, "must be an integer within range")
		}
	case reflect.Float64:
		n, ok := doc.(json.Number)
		if !ok {
			errs.Add(at, "must be a number")
		} else if _, err := strconv.ParseFloat(n.String(), 64); err != nil {
			errs.Add(at, "must be a number within range")
		}
	default:
		errs.Add(at, "has a type this API cannot read")
	}
}

var timeType = reflect.TypeFor[time.Time]()

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}
