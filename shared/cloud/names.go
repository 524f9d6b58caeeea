package cloud

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// Names gives every resource of one application or environment its
// deterministic name. A retried step computes the same names, so the
// provider's own uniqueness stops duplicates. UID is the record's uid, so
// an application deleted and created again never meets its old resources.
type Names struct {
	Organisation, Application, Environment, UID string
}

// Prefix starts every name; IAM policies scope the step functions to it.
const Prefix = "berth"

// short is a stable 10-hex-digit digest of the record, for names with tight limits.
func (n Names) short() string {
	sum := sha256.Sum256([]byte(n.Organisation + "/" + n.Application + "/" + n.Environment + "/" + n.UID))
	return hex.EncodeToString(sum[:5])
}

// clip keeps s within max characters and trims a trailing hyphen.
func clip(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.TrimRight(s, "-")
}

// Database is the RDS instance identifier: letters, digits and hyphens,
// at most 63 characters, starting with a letter.
func (n Names) Database() string {
	app := n.Application
	for strings.Contains(app, "--") { // RDS refuses two hyphens in a row
		app = strings.ReplaceAll(app, "--", "-")
	}
	return clip(Prefix+"-"+app, 63-11) + "-" + n.short()
}

// DatabaseName is the initial database in the instance.
func (n Names) DatabaseName() string {
	var b strings.Builder
	for _, r := range n.Application {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return clip("app"+b.String(), 63)
}

// FinalSnapshot names the snapshot taken when the database is deleted.
func (n Names) FinalSnapshot() string { return n.Database() + "-final" }

// Filesystem is the EFS filesystem's Name tag and its CreationToken.
func (n Names) Filesystem() string { return Prefix + "-" + n.Application + "-" + n.short() }

// Repository is the ECR repository.
func (n Names) Repository() string {
	return Prefix + "/" + n.Organisation + "/" + n.Application + "-" + n.short()
}

// LogGroup is the environment's log group.
func (n Names) LogGroup() string {
	return "/" + Prefix + "/" + n.Organisation + "/" + n.Application + "/" + n.Environment + "-" + n.short()
}

// Secret is the environment's app-secrets secret.
func (n Names) Secret() string {
	return Prefix + "/" + n.Organisation + "/" + n.Application + "/" + n.Environment + "-" + n.short() + "/app-secrets"
}

// VariableSecret is the Secrets Manager secret holding the value of the
// environment's secret variable name (shared/configuration).
func (n Names) VariableSecret(name string) string {
	return Prefix + "/" + n.Organisation + "/" + n.Application + "/" + n.Environment + "-" + n.short() + "/vars/" + name
}

// Resource names the environment's ECS service, security group, access
// point, listener rule and task definition family.
func (n Names) Resource() string {
	return clip(Prefix+"-"+n.Organisation+"-"+n.Application+"-"+n.Environment, 255-11) + "-" + n.short()
}

// TargetGroup is the ALB target group: at most 32 characters, no two
// hyphens in a row.
func (n Names) TargetGroup() string {
	env := n.Environment
	for strings.Contains(env, "--") {
		env = strings.ReplaceAll(env, "--", "-")
	}
	return clip(Prefix+"-"+env, 32-11) + "-" + n.short()
}

// Host name limits (RFC 1035): a label of at most 63 characters, a name of
// at most 253. A host is one label on the platform domain, so the domain
// may be at most MaxDomainLength long.
const (
	MaxLabelLength  = 63
	MaxHostLength   = 253
	MaxDomainLength = MaxHostLength - MaxLabelLength - 1
	hostDigestLen   = 10
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Host is the environment's host name on the platform domain: one DNS
// label, "<env>-<app>-<org>-<digest>", then the domain.
//
// The readable part is only a hint. Names may contain hyphens, so env "c"
// of app "a-b" and env "c-a" of app "b" read alike; the digest of the
// three names joined by "/", which no name contains, keeps every
// (organisation, application, environment) apart. The readable part is
// clipped so the label fits 63 characters, and runs of hyphens are folded
// to one, so no label has the "xn--" form browsers show as Unicode. The
// UID is left out: an environment created again keeps its host.
func (n Names) Host(domain string) string {
	sum := sha256.Sum256([]byte(n.Organisation + "/" + n.Application + "/" + n.Environment))
	digest := lowerBase32.EncodeToString(sum[:])[:hostDigestLen]
	readable := n.Environment + "-" + n.Application + "-" + n.Organisation
	for strings.Contains(readable, "--") {
		readable = strings.ReplaceAll(readable, "--", "-")
	}
	return clip(readable, MaxLabelLength-1-hostDigestLen) + "-" + digest + "." + domain
}

// SameOwner reports whether a resource tagged found belongs to the record
// tagged want: the same uid, or the same organisation, application and
// environment, which only one live record holds at a time.
func SameOwner(found, want Tags) bool {
	if want[TagUID] != "" && found[TagUID] == want[TagUID] {
		return true
	}
	for _, k := range []string{TagOrganisation, TagApplication, TagEnvironment} {
		if want[k] == "" || found[k] != want[k] {
			return false
		}
	}
	return true
}

// Tags are the tags every resource of the record carries.
func (n Names) Tags() Tags {
	t := Tags{ManagedTag: "true", TagOrganisation: n.Organisation, TagApplication: n.Application, TagUID: n.UID}
	if n.Environment != "" {
		t[TagEnvironment] = n.Environment
	}
	return t
}

// ScheduleGroup is the environment's EventBridge Scheduler schedule group,
// which holds its cron jobs' schedules: letters, digits, '-', '_' and '.',
// at most 64 characters.
func (n Names) ScheduleGroup() string {
	return clip(Prefix+"-"+n.Organisation+"-"+n.Application+"-"+n.Environment, 64-11) + "-" + n.short()
}
