package lambdalocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/berth-dev/berth/shared/lambdalocal"
)

type greeting struct {
	Name string `json:"name"`
}

type reply struct {
	Message string `json:"message"`
	ARN     string `json:"arn"`
}

type quotaError struct{}

func (*quotaError) Error() string { return "quota exceeded" }

func client(t *testing.T) *awslambda.Client {
	t.Helper()
	srv := httptest.NewServer(&lambdalocal.Server{Functions: map[string]lambda.Handler{
		"greet": lambda.NewHandler(func(ctx context.Context, g greeting) (reply, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			return reply{Message: "hello " + g.Name, ARN: lc.InvokedFunctionArn}, nil
		}),
		"slow": lambda.NewHandler(func(context.Context, greeting) (reply, error) {
			return reply{}, messages.InvokeResponse_Error{Type: "Berth.Timeout", Message: "provisioning took too long"}
		}),
		"quota":  lambda.NewHandler(func(context.Context) error { return &quotaError{} }),
		"plain":  lambda.NewHandler(func(context.Context) error { return errors.New("boom") }),
		"panics": lambda.NewHandler(func(context.Context) error { panic("kaboom") }),
	}})
	t.Cleanup(srv.Close)
	return awslambda.New(awslambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func TestInvokeByNameAndARN(t *testing.T) {
	c := client(t)
	for _, name := range []string{
		"greet",
		"arn:aws:lambda:us-east-1:000000000000:function:greet",
		"arn:aws:lambda:us-east-1:000000000000:function:greet:live",
	} {
		out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{
			FunctionName: aws.String(name),
			Payload:      []byte(`{"name":"berth"}`),
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Fatalf("%s: status %d, function error %v, version %v", name, out.StatusCode, out.FunctionError, aws.ToString(out.ExecutedVersion))
		}
		var r reply
		if err := json.Unmarshal(out.Payload, &r); err != nil {
			t.Fatal(err)
		}
		if r != (reply{Message: "hello berth", ARN: name}) {
			t.Fatalf("%s: got %+v", name, r)
		}
	}
}

func TestFunctionErrorTypes(t *testing.T) {
	c := client(t)
	for _, tc := range []struct{ function, errorType, message string }{
		// An InvokeResponse_Error names its own type: how a step reports Berth.Timeout.
		{"slow", "Berth.Timeout", "provisioning took too long"},
		{"quota", "quotaError", "quota exceeded"},
		{"plain", "errorString", "boom"},
		{"panics", "string", "kaboom"},
	} {
		out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{
			FunctionName: aws.String(tc.function),
			Payload:      []byte(`{}`),
		})
		if err != nil {
			t.Fatalf("%s: a function error is not an API error: %v", tc.function, err)
		}
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" {
			t.Fatalf("%s: status %d, function error %q", tc.function, out.StatusCode, aws.ToString(out.FunctionError))
		}
		var e struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(out.Payload, &e); err != nil {
			t.Fatal(err)
		}
		if e.ErrorType != tc.errorType || e.ErrorMessage != tc.message {
			t.Fatalf("%s: got %s", tc.function, out.Payload)
		}
	}
}

func TestUnknownFunction(t *testing.T) {
	_, err := client(t).Invoke(context.Background(), &awslambda.InvokeInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:missing"),
	})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("want ResourceNotFoundException, got %v", err)
	}
	if want := "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing"; aws.ToString(nf.Message) != want {
		t.Fatalf("message %q, want %q", aws.ToString(nf.Message), want)
	}
}

func TestOnlyRequestResponse(t *testing.T) {
	_, err := client(t).Invoke(context.Background(), &awslambda.InvokeInput{
		FunctionName:   aws.String("greet"),
		InvocationType: types.InvocationTypeEvent,
		Payload:        []byte(`{}`),
	})
	var bad *types.InvalidParameterValueException
	if !errors.As(err, &bad) {
		t.Fatalf("want InvalidParameterValueException, got %v", err)
	}
}

// Step Functions' Parallel branches invoke one function at once; each
// caller must get its own answer.
func TestConcurrentInvocationsGetTheirOwnAnswers(t *testing.T) {
	c := client(t)
	const n = 20
	got := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			payload, _ := json.Marshal(greeting{Name: "caller-" + string(rune('a'+i))})
			out, err := c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: payload})
			if err == nil {
				var r reply
				err = json.Unmarshal(out.Payload, &r)
				got[i] = r.Message
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range got {
		if want := "hello caller-" + string(rune('a'+i)); m != want {
			t.Errorf("caller %d got %q, want %q", i, m, want)
		}
	}
}
