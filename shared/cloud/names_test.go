package cloud_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

// AWS's own naming rules for the kinds with tight ones.
var (
	rdsIdentifier = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9])*$`) // no "--", no trailing "-"
	targetGroup   = regexp.MustCompile(`^[a-zA-Z0-9](-?[a-zA-Z0-9])*$`)
	ecrRepository = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
)

func TestNamesFitAWSRulesForAnyValidName(t *testing.T) {
	long := strings.Repeat("a", 30) + "--" + strings.Repeat("b", 31) // 63, the longest name the API takes
	for _, n := range []cloud.Names{
		{Organisation: "acme", Application: "my-app", Environment: "production", UID: "u1"},
		{Organisation: "o", Application: "a", Environment: "e", UID: "u2"},
		{Organisation: long, Application: long, Environment: long[:40], UID: "u3"},
		{Organisation: "x", Application: "a--b", Environment: "pr--1", UID: "u4"},
	} {
		if id := n.Database(); len(id) > 63 || !rdsIdentifier.MatchString(id) {
			t.Errorf("database identifier %q breaks RDS's rules", id)
		}
		if tg := n.TargetGroup(); len(tg) > 32 || !targetGroup.MatchString(tg) {
			t.Errorf("target group %q breaks ELB's rules", tg)
		}
		if r := n.Repository(); len(r) > 256 || !ecrRepository.MatchString(r) {
			t.Errorf("repository %q breaks ECR's rules", r)
		}
		if len(n.Resource()) > 255 {
			t.Errorf("resource name %q is too long", n.Resource())
		}
		if !strings.HasPrefix(n.Database(), cloud.Prefix) || !strings.HasPrefix(n.Secret(), cloud.Prefix+"/") || !strings.HasPrefix(n.LogGroup(), "/"+cloud.Prefix+"/") {
			t.Errorf("%+v: a name lacks the %q prefix IAM policies scope to", n, cloud.Prefix)
		}
	}
}

func TestNamesAreDeterministicPerRecord(t *testing.T) {
	a := cloud.Names{Organisation: "acme", Application: "shop", Environment: "production", UID: "one"}
	b := a
	if a.Database() != b.Database() || a.Resource() != b.Resource() {
		t.Fatal("the same record got two names")
	}
	b.UID = "two" // the same name, created again after a delete
	for _, pair := range [][2]string{{a.Database(), b.Database()}, {a.Filesystem(), b.Filesystem()}, {a.TargetGroup(), b.TargetGroup()}, {a.Secret(), b.Secret()}} {
		if pair[0] == pair[1] {
			t.Errorf("%q is shared by two records of the same name", pair[0])
		}
	}
}
