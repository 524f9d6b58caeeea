package awsscaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
)

// stub answers Application Auto Scaling's JSON 1.1 protocol, so that the
// real SDK client serialises each call and parses the answer.
type stub struct {
	t       *testing.T
	mu      sync.Mutex
	calls   []call
	answers map[string][]answer // by operation, in turn; the last repeats
}

type call struct {
	Op   string
	Body map[string]any
}

type answer struct {
	status int
	body   string
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(target, "AnyScaleFrontendService.") {
		s.t.Errorf("X-Amz-Target %q", target)
	}
	c := call{Op: strings.TrimPrefix(target, "AnyScaleFrontendService.")}
	if err := json.Unmarshal(raw, &c.Body); err != nil {
		s.t.Errorf("%s body %s: %v", c.Op, raw, err)
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	queue := s.answers[c.Op]
	a := answer{status: 400, body: `{"__type":"ValidationException","message":"unexpected"}`}
	switch {
	case len(queue) == 1:
		a = queue[0]
	case len(queue) > 1:
		a, s.answers[c.Op] = queue[0], queue[1:]
	default:
		s.t.Errorf("unexpected %s", c.Op)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if a.status != 0 {
		w.WriteHeader(a.status)
	}
	_, _ = io.WriteString(w, a.body)
}

func newPolicies(t *testing.T, answers map[string][]answer) (scaling.Policies, *stub) {
	s := &stub{t: t, answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	return awsscaling.New(cfg, "arn:aws:ecs:eu-west-1:123456789012:cluster/berth", srv.URL), s
}

const (
	service    = "berth-acme-my-app-production-0123456789"
	resourceID = "service/berth/" + service
	label      = "app/berth/50dc6c495c0c9188/targetgroup/berth-acme-my-app-prod/73e2d6bc24d8a067"
)

func checkJSON(t *testing.T, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("request\n%s\nwant\n%s", g, want)
	}
}

// TestPutEachMetric: each metric becomes its predefined metric type, on
// the service's desired count in the cluster named by the ARN's last part.
func TestPutEachMetric(t *testing.T) {
	cases := map[string]struct {
		policy scaling.Policy
		metric string
	}{
		"cpu":    {scaling.Policy{Name: service + "-cpu", Metric: scaling.CPU, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60}, `{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}`},
		"memory": {scaling.Policy{Name: "mem.custom_1", Metric: scaling.Memory, TargetValue: 55.5, ScaleInCooldown: 0, ScaleOutCooldown: 3600}, `{"PredefinedMetricType":"ECSServiceAverageMemoryUtilization"}`},
		"rps":    {scaling.Policy{Name: service + "-rps", Metric: scaling.RPS, TargetValue: 1000, ScaleInCooldown: 300, ScaleOutCooldown: 60, ResourceLabel: label}, `{"PredefinedMetricType":"ALBRequestCountPerTarget","ResourceLabel":"` + label + `"}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, s := newPolicies(t, map[string][]answer{"PutScalingPolicy": {{body: `{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1","Alarms":[]}`}}})
			if err := p.Put(context.Background(), service, tc.policy); err != nil {
				t.Fatal(err)
			}
			if len(s.calls) != 1 {
				t.Fatalf("calls %+v", s.calls)
			}
			b, _ := json.Marshal(tc.policy.TargetValue)
			checkJSON(t, s.calls[0].Body, `{"PolicyName":"`+tc.policy.Name+`","PolicyType":"TargetTrackingScaling","ServiceNamespace":"ecs",
				"ResourceId":"`+resourceID+`","ScalableDimension":"ecs:service:DesiredCount",
				"TargetTrackingScalingPolicyConfiguration":{"TargetValue":`+string(b)+`,"PredefinedMetricSpecification":`+tc.metric+`,
				"ScaleInCooldown":`+itoa(tc.policy.ScaleInCooldown)+`,"ScaleOutCooldown":`+itoa(tc.policy.ScaleOutCooldown)+`}}`)
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestList reads every page, keeps the three metrics' target-tracking
// policies and skips the rest.
func TestList(t *testing.T) {
	pol := func(name, typ, extra string, target float64) string {
		b, _ := json.Marshal(target)
		return `{"PolicyName":"` + name + `","PolicyARN":"arn:1","ServiceNamespace":"ecs","ResourceId":"` + resourceID + `",
			"ScalableDimension":"ecs:service:DesiredCount","PolicyType":"TargetTrackingScaling","CreationTime":1767268800,
			"TargetTrackingScalingPolicyConfiguration":{"TargetValue":` + string(b) + `,"ScaleInCooldown":300,"ScaleOutCooldown":60,
			"PredefinedMetricSpecification":{"PredefinedMetricType":"` + typ + `"` + extra + `}}}`
	}
	step := `{"PolicyName":"step","PolicyARN":"arn:2","ServiceNamespace":"ecs","ResourceId":"` + resourceID + `","ScalableDimension":"ecs:service:DesiredCount","PolicyType":"StepScaling","CreationTime":1767268800}`
	p, s := newPolicies(t, map[string][]answer{"DescribeScalingPolicies": {
		{body: `{"ScalingPolicies":[` + pol(service+"-cpu", "ECSServiceAverageCPUUtilization", "", 70) + `,` + step + `],"NextToken":"page2"}`},
		{body: `{"ScalingPolicies":[` + pol(service+"-memory", "ECSServiceAverageMemoryUtilization", "", 80.5) + `,` +
			pol(service+"-rps", "ALBRequestCountPerTarget", `,"ResourceLabel":"`+label+`"`, 500) + `,` +
			pol("other", "ECSServiceAverageNetworkIn", "", 1) + `]}`},
	}})
	got, err := p.List(context.Background(), service)
	if err != nil {
		t.Fatal(err)
	}
	want := []scaling.Policy{
		{Name: service + "-cpu", Metric: scaling.CPU, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60},
		{Name: service + "-memory", Metric: scaling.Memory, TargetValue: 80.5, ScaleInCooldown: 300, ScaleOutCooldown: 60},
		{Name: service + "-rps", Metric: scaling.RPS, TargetValue: 500, ScaleInCooldown: 300, ScaleOutCooldown: 60, ResourceLabel: label},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("policies\n%+v\nwant\n%+v", got, want)
	}
	if len(s.calls) != 2 {
		t.Fatalf("%d calls", len(s.calls))
	}
	checkJSON(t, s.calls[0].Body, `{"ServiceNamespace":"ecs","ResourceId":"`+resourceID+`","ScalableDimension":"ecs:service:DesiredCount"}`)
	checkJSON(t, s.calls[1].Body, `{"ServiceNamespace":"ecs","ResourceId":"`+resourceID+`","ScalableDimension":"ecs:service:DesiredCount","NextToken":"page2"}`)
}

// TestDeleteNotFoundIsDeleted: a policy already gone is no error, and each
// name is its own call.
func TestDeleteNotFoundIsDeleted(t *testing.T) {
	p, s := newPolicies(t, map[string][]answer{"DeleteScalingPolicy": {
		{body: `{}`},
		{status: 400, body: `{"__type":"ObjectNotFoundException","message":"No scaling policy found for service namespace: ecs, resource ID: ` + resourceID + `, scalable dimension: ecs:service:DesiredCount, policy name: gone"}`},
	}})
	if err := p.Delete(context.Background(), service, []string{service + "-cpu", "gone"}); err != nil {
		t.Fatal(err)
	}
	if len(s.calls) != 2 {
		t.Fatalf("%d calls", len(s.calls))
	}
	checkJSON(t, s.calls[0].Body, `{"PolicyName":"`+service+`-cpu","ServiceNamespace":"ecs","ResourceId":"`+resourceID+`","ScalableDimension":"ecs:service:DesiredCount"}`)
	checkJSON(t, s.calls[1].Body, `{"PolicyName":"gone","ServiceNamespace":"ecs","ResourceId":"`+resourceID+`","ScalableDimension":"ecs:service:DesiredCount"}`)
}

// TestErrors: a failure a retry may cure is scaling.ErrUnavailable; a
// refusal is not.
func TestErrors(t *testing.T) {
	cases := map[string]struct {
		a           answer
		unavailable bool
	}{
		"access denied":     {answer{400, `{"__type":"AccessDeniedException","message":"not authorized"}`}, false},
		"validation":        {answer{400, `{"__type":"ValidationException","message":"bad label"}`}, false},
		"no target":         {answer{400, `{"__type":"ObjectNotFoundException","message":"No scalable target registered"}`}, false},
		"throttled":         {answer{400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`}, true},
		"concurrent update": {answer{400, `{"__type":"ConcurrentUpdateException","message":"busy"}`}, true},
		"server fault":      {answer{500, `{"__type":"InternalServiceException","message":"internal"}`}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, _ := newPolicies(t, map[string][]answer{"PutScalingPolicy": {tc.a}})
			err := p.Put(context.Background(), service, scaling.Policy{Name: "x", Metric: scaling.CPU, TargetValue: 50})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, scaling.ErrUnavailable); got != tc.unavailable {
				t.Errorf("unavailable %v, want %v: %v", got, tc.unavailable, err)
			}
		})
	}
}
