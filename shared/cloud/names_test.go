package cloud_test

import (
	"math/rand/v2"
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

// dnsLabel is RFC 1123's host label, without the IDNA "xx--" form.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validName is the API's name rule (apps.ValidName), bounds apart.
var validName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// The longest domain an operator may configure (infra checks it).
var longestDomain = strings.Repeat("d", 62) + "." + strings.Repeat("e", 62) + "." + strings.Repeat("f", cloud.MaxDomainLength-126)

func checkHost(t *testing.T, n cloud.Names, domain string) string {
	t.Helper()
	h := n.Host(domain)
	if len(h) > cloud.MaxHostLength {
		t.Errorf("%+v: host %q is %d characters, over %d", n, h, len(h), cloud.MaxHostLength)
	}
	label, rest, _ := strings.Cut(h, ".")
	if rest != domain {
		t.Errorf("%+v: host %q is not one label on %q", n, h, domain)
	}
	if len(label) > cloud.MaxLabelLength || !dnsLabel.MatchString(label) || strings.Contains(label, "--") {
		t.Errorf("%+v: label %q (%d characters) is not a DNS label of at most 63 without \"--\"", n, label, len(label))
	}
	return h
}

// TestHostsOfDifferentTenantsDiffer: the probe's two cases, across
// organisations and within one, read alike but get different hosts.
func TestHostsOfDifferentTenantsDiffer(t *testing.T) {
	for name, pair := range map[string][2]cloud.Names{
		"across organisations": {
			{Organisation: "acme", Application: "p-x", Environment: "production"},
			{Organisation: "x-acme", Application: "p", Environment: "production"},
		},
		"within an organisation": {
			{Organisation: "acme", Application: "a-b", Environment: "c"},
			{Organisation: "acme", Application: "b", Environment: "c-a"},
		},
	} {
		a, b := checkHost(t, pair[0], "apps.example.com"), checkHost(t, pair[1], "apps.example.com")
		if a == b {
			t.Errorf("%s: %+v and %+v share the host %q", name, pair[0], pair[1], a)
		}
	}
}

func TestHostIsStableAndReadable(t *testing.T) {
	n := cloud.Names{Organisation: "acme", Application: "shop", Environment: "production", UID: "one"}
	h := n.Host("apps.example.com")
	if !strings.HasPrefix(h, "production-shop-acme-") {
		t.Errorf("host %q does not start with the names", h)
	}
	again := n
	again.UID = "two" // created again after a delete: same host
	if again.Host("apps.example.com") != h {
		t.Errorf("the host changed with the uid")
	}
}

// TestHostsPropertyOverRandomNames: names drawn within the documented
// bounds (organisation 1-63, application and environment 1-40, a-z 0-9
// and inner hyphens), biased towards hyphens and towards pairs that read
// alike, never share a host and always fit DNS.
func TestHostsPropertyOverRandomNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	name := func(max int) string {
		n := 1 + rng.IntN(max)
		if rng.IntN(4) == 0 {
			n = max // the longest names are where clipping happens
		}
		b := make([]byte, n)
		for i := range b {
			switch {
			case i > 0 && i < n-1 && rng.IntN(3) == 0:
				b[i] = '-'
			default:
				b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
			}
		}
		return string(b)
	}
	seen := map[string]cloud.Names{}
	taken := func(kind, name string, n cloud.Names) {
		if prev, ok := seen[kind+" "+name]; ok && prev != n {
			t.Fatalf("%+v and %+v share the %s %q", prev, n, kind, name)
		}
		seen[kind+" "+name] = n
	}
	add := func(n cloud.Names) {
		n.UID = n.Organisation + "/" + n.Application + "/" + n.Environment // one record per triple
		for _, domain := range []string{"apps.example.com", longestDomain} {
			taken("host", checkHost(t, n, domain), n)
		}
		// The other names built from several user-chosen parts.
		for kind, name := range map[string]string{"resource": n.Resource(), "target group": n.TargetGroup(),
			"log group": n.LogGroup(), "secret": n.Secret()} {
			taken(kind, name, n)
		}
	}
	for i := 0; i < 20000; i++ {
		n := cloud.Names{Organisation: name(63), Application: name(40), Environment: name(40)}
		add(n)
		// The same characters split differently: moves a hyphen-joined
		// part from one name to its neighbour.
		joined := n.Environment + "-" + n.Application + "-" + n.Organisation
		parts := strings.Split(joined, "-")
		if len(parts) >= 3 {
			i, j := 1+rng.IntN(len(parts)-2), 0
			j = i + 1 + rng.IntN(len(parts)-i-1)
			shifted := cloud.Names{Environment: strings.Join(parts[:i], "-"), Application: strings.Join(parts[i:j], "-"), Organisation: strings.Join(parts[j:], "-")}
			if len(shifted.Environment) <= 40 && len(shifted.Application) <= 40 && len(shifted.Organisation) <= 63 &&
				validName.MatchString(shifted.Environment) && validName.MatchString(shifted.Application) && validName.MatchString(shifted.Organisation) {
				add(shifted)
			}
		}
	}
}

// TestSameOwner: a resource is a record's by its uid, or by all three
// names; another organisation's environment of the same names is not.
func TestSameOwner(t *testing.T) {
	mine := cloud.Names{Organisation: "acme", Application: "shop", Environment: "production", UID: "u2"}.Tags()
	for name, tc := range map[string]struct {
		found cloud.Tags
		want  bool
	}{
		"the same uid":                  {cloud.Tags{cloud.TagUID: "u2"}, true},
		"an earlier life, same names":   {cloud.Names{Organisation: "acme", Application: "shop", Environment: "production", UID: "u1"}.Tags(), true},
		"another organisation":          {cloud.Names{Organisation: "x-acme", Application: "shop", Environment: "production", UID: "u3"}.Tags(), false},
		"another environment":           {cloud.Names{Organisation: "acme", Application: "shop", Environment: "staging", UID: "u4"}.Tags(), false},
		"untagged":                      {cloud.Tags{}, false},
		"the application, no env named": {cloud.Names{Organisation: "acme", Application: "shop", UID: "u5"}.Tags(), false},
	} {
		if got := cloud.SameOwner(tc.found, mine); got != tc.want {
			t.Errorf("%s: SameOwner %v, want %v", name, got, tc.want)
		}
	}
	if cloud.SameOwner(cloud.Tags{}, cloud.Tags{}) {
		t.Error("a spec with no tags owns an untagged rule")
	}
}
