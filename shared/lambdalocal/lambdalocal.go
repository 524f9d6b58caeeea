// Package lambdalocal serves Go Lambda handlers over the Lambda Invoke API,
// so that a local Step Functions (or any AWS SDK Lambda client with its
// endpoint pointed here) calls them as it would call functions in AWS.
package lambdalocal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Server answers POST /2015-03-31/functions/{FunctionName}/invocations for
// the handlers in Functions, keyed by function name. FunctionName may also
// be a full or partial ARN; a qualifier (version or alias) is accepted and
// ignored, as every function here is $LATEST.
type Server struct {
	Functions map[string]lambda.Handler
	// busy serializes invocations of each function: like one Lambda
	// instance, a handler from lambda.NewHandler takes one event at a time
	// (it reuses its response buffer).
	busy sync.Map // function name → *sync.Mutex
}

const invokePrefix = "/2015-03-31/functions/"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The SDKs escape the ARN's colons; EscapedPath keeps a "/" inside a
	// name from being taken as a separator.
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), invokePrefix)
	escaped, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 || strings.Contains(escaped, "/") {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "Unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "Invoke needs POST")
		return
	}
	ref, err := unescape(escaped)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", err.Error())
		return
	}
	if t := r.Header.Get("X-Amz-Invocation-Type"); t != "" && t != "RequestResponse" {
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException",
			"InvocationType "+t+" is not supported locally; only RequestResponse is")
		return
	}
	name := FunctionName(ref)
	h, ok := s.Functions[name]
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+ref)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	requestID := newRequestID()
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: ref,
	})
	mu, _ := s.busy.LoadOrStore(name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	out, invokeErr := invoke(ctx, h, payload)
	out = bytes.Clone(out)
	mu.(*sync.Mutex).Unlock()
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	if invokeErr != nil {
		// A function error is a 200 with the error as the payload, as in AWS.
		body, _ := json.Marshal(invokeErr)
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// FunctionName is the function name in a Lambda function reference: a name,
// a partial ARN (123456789012:function:name) or a full ARN, each with an
// optional :qualifier.
func FunctionName(ref string) string {
	if _, after, ok := strings.Cut(ref, ":function:"); ok {
		ref = after
	}
	name, _, _ := strings.Cut(ref, ":")
	return name
}

// invoke calls the handler and shapes a failure the way aws-lambda-go's
// runtime loop does, so that the errorType Step Functions matches in
// Retry and Catch is the one it would see in AWS.
func invoke(ctx context.Context, h lambda.Handler, payload []byte) (out []byte, ierr *messages.InvokeResponse_Error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(messages.InvokeResponse_Error); ok {
				ierr = &e
				return
			}
			ierr = &messages.InvokeResponse_Error{Type: typeName(v), Message: fmt.Sprint(v)}
		}
	}()
	out, err := h.Invoke(ctx, payload)
	if err == nil {
		return out, nil
	}
	if e, ok := err.(messages.InvokeResponse_Error); ok {
		return nil, &e
	}
	return nil, &messages.InvokeResponse_Error{Type: typeName(err), Message: err.Error()}
}

// typeName is aws-lambda-go's errorType: the dynamic type's name, with a
// pointer dereferenced (so errors.New gives "errorString").
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// writeError writes Lambda's REST JSON error: the code in X-Amzn-ErrorType,
// which the SDKs decode into their typed exceptions.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"Type": "User", "Message": message})
	_, _ = w.Write(body)
}

func unescape(s string) (string, error) {
	out, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("bad function name %q: %w", s, err)
	}
	return out, nil
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
