package operations

import (
	"testing"

	"github.com/berth-dev/berth/shared/apps"
)

func TestIDsRoundTrip(t *testing.T) {
	for _, id := range []ID{
		{Workflow: apps.ProvisionApplication, Application: "shop", UID: "a92454717ad9312de851ebeccd17f328"},
		{Workflow: apps.TeardownEnvironment, Application: "shop", Environment: "pr-1", UID: "a92454717ad9312de851ebeccd17f328"},
		{Workflow: apps.DeployEnvironment, Application: "shop", Environment: "production", UID: "a92454717ad9312de851ebeccd17f328", Deployment: 12},
	} {
		got, err := Parse(id.String())
		if err != nil || got != id {
			t.Errorf("%s: %+v, %v", id, got, err)
		}
	}
	for _, bad := range []string{"", "deploy-environment.shop.production.a92454717ad9312de851ebeccd17f328", "deploy-environment.shop.production.a92454717ad9312de851ebeccd17f328.01",
		"provision-application.shop.pr-1.a92454717ad9312de851ebeccd17f328", "provision-environment.shop.a92454717ad9312de851ebeccd17f328",
		"teardown-environment.Shop.pr-1.a92454717ad9312de851ebeccd17f328", "teardown-environment.shop.pr-1.short", "run-anything.shop.a92454717ad9312de851ebeccd17f328"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParseID: any string either fails to parse or is an id that prints
// back as itself, and nothing panics.
func FuzzParseID(f *testing.F) {
	f.Add("deploy-environment.shop.production.a92454717ad9312de851ebeccd17f328.3")
	f.Add("teardown-application.shop.a92454717ad9312de851ebeccd17f328")
	f.Add("provision-environment.shop.pr-1.0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		if id.String() != s {
			t.Fatalf("%q parsed as %+v, which prints as %q", s, id, id.String())
		}
	})
}
