package boot_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
)

// TestScalingRoutesNeedTheirConfiguration: a scaling function fails at
// start-up, naming what is missing, rather than on its first request.
func TestScalingRoutesNeedTheirConfiguration(t *testing.T) {
	full := map[string]string{
		boot.EnvTableName: "berth", "AWS_REGION": "eu-west-1",
		boot.EnvClusterARN:  "arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
		boot.EnvListenerARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2",
	}
	without := func(k string, v ...string) map[string]string {
		m := map[string]string{}
		for key, val := range full {
			m[key] = val
		}
		delete(m, k)
		if len(v) > 0 {
			m[k] = v[0]
		}
		return m
	}
	ports := boot.Ports{Scaling: awsscaling.New}
	cases := map[string]struct {
		vars  map[string]string
		ports boot.Ports
		want  string
	}{
		"no cluster":            {without(boot.EnvClusterARN), ports, boot.EnvClusterARN},
		"no listener":           {without(boot.EnvListenerARN), ports, boot.EnvListenerARN},
		"a listener not an ARN": {without(boot.EnvListenerARN, "berth"), ports, boot.EnvListenerARN},
		"no adapter":            {full, boot.Ports{}, "without them"},
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := boot.RouteHandler(api.UpsertScalingPolicyRoute, env(tc.vars), log, tc.ports)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
	if _, err := boot.RouteHandler(api.ListScalingPoliciesRoute, env(full), log, ports); err != nil {
		t.Fatal(err)
	}
}
