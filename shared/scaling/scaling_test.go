package scaling

import (
	"testing"
)

func TestPolicyNames(t *testing.T) {
	for m, want := range map[Metric]string{CPU: "svc-cpu", Memory: "svc-memory", RPS: "svc-rps"} {
		if got := PolicyName("svc", m); got != want {
			t.Errorf("%s: %q, want %q", m, got, want)
		}
	}
}

func TestLoadBalancerNameAndLabel(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2": "app/berth/50dc6c495c0c9188",
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/berth/50dc6c495c0c9188":              "app/berth/50dc6c495c0c9188",
	} {
		if got, err := LoadBalancerName(arn); err != nil || got != want {
			t.Errorf("%s: %q, %v", arn, got, err)
		}
	}
	for _, bad := range []string{"", "berth", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth"} {
		if _, err := LoadBalancerName(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	got, err := ResourceLabel("app/berth/50dc6c495c0c9188", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-tg/73e2d6bc24d8a067")
	if want := "app/berth/50dc6c495c0c9188/targetgroup/berth-tg/73e2d6bc24d8a067"; err != nil || got != want {
		t.Errorf("label %q, %v; want %q", got, err, want)
	}
	if _, err := ResourceLabel("", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-tg/1"); err == nil {
		t.Error("a label without a load balancer")
	}
}
