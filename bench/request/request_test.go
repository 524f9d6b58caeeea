package request

import (
	"context"
	"github.com/berth-dev/berth/shared/composefile/composego"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"testing"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
)

const root = "../.."

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func seeded(tb testing.TB) *Stub {
	tb.Helper()
	stub := NewStub()
	if err := Seed(context.Background(), root, stub, quiet()); err != nil {
		tb.Fatal(err)
	}
	stub.Reset()
	return stub
}

func event(tb testing.TB, route string) []byte {
	tb.Helper()
	ev, err := BenchEvent(root, route)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// BenchmarkRoute: one API function's work per request, event bytes to
// response bytes, with the DynamoDB calls it makes.
func BenchmarkRoute(b *testing.B) {
	ctx := context.Background()
	for _, rt := range api.Routes() {
		b.Run(rt.Name, func(b *testing.B) {
			stub := seeded(b)
			h, err := Handler(rt.Name, stub.Client(), quiet())
			if err != nil {
				b.Fatal(err)
			}
			fn, ev := Invoker(h), event(b, rt.Name)
			stub.Reset()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out, err := fn.Invoke(ctx, ev)
				if err != nil || StatusOf(out) >= 300 {
					b.Fatalf("%v %s", err, out)
				}
				n++
			}
			c := stub.Snapshot()
			b.ReportMetric(float64(c.Total())/float64(n), "ddb-calls/op")
			b.ReportMetric(float64(c.ConditionalWrites)/float64(n), "ddb-cond-writes/op")
			b.ReportMetric(float64(c.Writes)/float64(n), "ddb-writes/op")
			if rt.Artefacts {
				b.ReportMetric(float64(c.S3)/float64(n), "s3-calls/op")
			}
		})
	}
}

// BenchmarkPlain: the same events through a plain aws-lambda-go handler
// doing the same JSON work (see Plain); the ratio to BenchmarkRoute is
// what Berth's layers cost.
func BenchmarkPlain(b *testing.B) {
	ctx := context.Background()
	for _, rt := range api.Routes() {
		b.Run(rt.Name, func(b *testing.B) {
			stub := seeded(b)
			fn, ev := Plain(stub.Client()), event(b, rt.Name)
			stub.Reset()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out, err := fn.Invoke(ctx, ev)
				if err != nil || StatusOf(out) >= 300 {
					b.Fatalf("%v %s", err, out)
				}
				n++
			}
			b.ReportMetric(float64(stub.Snapshot().Total())/float64(n), "ddb-calls/op")
		})
	}
}

// TestMatchesBoot: Handler, which the benchmarks use, answers every
// route's event with the status and the AWS calls of boot.Handler itself
// (whose clients reach the same stub over loopback HTTP).
func TestMatchesBoot(t *testing.T) {
	ctx := context.Background()
	direct, viaBoot := seeded(t), seeded(t)
	srv := httptest.NewServer(viaBoot)
	defer srv.Close()
	vars := Vars()
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL_API_GATEWAY", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", "AWS_ENDPOINT_URL_SCHEDULER",
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_EFS", "AWS_ENDPOINT_URL_S3"} {
		vars[k] = srv.URL
	}
	for _, rt := range api.Routes() {
		ev := event(t, rt.Name)
		b, err := boot.Handler(rt.Name, func(k string) string { return vars[k] }, quiet(), boot.Ports{Workflows: workflowsPort, UsageKeys: usageKeysPort, Registry: registryPort, Compose: composego.Translate, Scaling: scalingPort, Schedules: schedulesPort,
			Logs: logsPort, Metrics: metricsPort, Shell: shellPort, Secrets: secretsPort, Volumes: volumesPort, Artefacts: artefactsPort})
		if err != nil {
			t.Fatal(err)
		}
		h, err := Handler(rt.Name, direct.Client(), quiet())
		if err != nil {
			t.Fatal(err)
		}
		direct.Reset()
		viaBoot.Reset()
		want, err := Invoker(b).Invoke(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Invoker(h).Invoke(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if StatusOf(got) != StatusOf(want) || StatusOf(got) >= 300 {
			t.Errorf("%s: status %d, boot.Handler %d: %s", rt.Name, StatusOf(got), StatusOf(want), want)
		}
		g, w := direct.Snapshot(), viaBoot.Snapshot()
		if !maps.Equal(g.DynamoDB, w.DynamoDB) || g.ConditionalWrites != w.ConditionalWrites || g.StepFunctions != w.StepFunctions || g.APIGateway != w.APIGateway || g.ECR != w.ECR || g.Scaling != w.Scaling || g.Scheduler != w.Scheduler ||
			g.Logs != w.Logs || g.CloudWatch != w.CloudWatch || g.ECS != w.ECS || g.STS != w.STS || g.SecretsManager != w.SecretsManager || g.EFS != w.EFS || g.S3 != w.S3 {
			t.Errorf("%s: calls %+v, boot.Handler %+v", rt.Name, g, w)
		}
		// An Artefacts route reaches the bucket once, virtual-hosted from
		// Handler and path-style from boot; had the stub not known either
		// for S3, its API Gateway answer would have passed unnoticed.
		if rt.Artefacts && (g.S3 != 1 || w.S3 != 1 || g.APIGateway+w.APIGateway != 0) {
			t.Errorf("%s: %d S3 calls (boot.Handler %d), want 1; %d API Gateway calls (boot.Handler %d)", rt.Name, g.S3, w.S3, g.APIGateway, w.APIGateway)
		}
		t.Logf("%s: %d DynamoDB calls %v, %d conditional writes, %d S3 calls", rt.Name, g.Total(), g.DynamoDB, g.ConditionalWrites, g.S3)
	}
}
