package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	shellport "github.com/berth-dev/berth/shared/shell"
)

// Access is the sandbox's shell.Access: STS AssumeRole, validated as STS
// validates, issuing credentials that only look real, and ECS ListTasks on
// its services. Faults "AssumeRole" and "ListTasks" fail them.
func (s *Sandbox) Access() shellport.Access { return sandboxAccess{s} }

type sandboxAccess struct{ s *Sandbox }

var _ shellport.Access = sandboxAccess{}

// STS's bounds on AssumeRole.
const (
	MinSessionDuration = 15 * time.Minute
	MaxSessionDuration = 12 * time.Hour
	// MaxSessionPolicy is the longest session policy STS takes, in characters.
	MaxSessionPolicy = 2048
)

var (
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	roleARN     = regexp.MustCompile(`^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
)

// Assume implements shell.Access: it refuses what STS would (a malformed
// role ARN or session name, a duration outside 15 minutes to 12 hours, a
// session policy that is not JSON or is too long, too many tags), and
// records each grant it honours (Grants).
func (a sandboxAccess) Assume(_ context.Context, g shellport.Grant) (shellport.Credentials, error) {
	const op = "AssumeRole"
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return shellport.Credentials{}, err
	}
	deny := func(format string, args ...any) error {
		return fmt.Errorf("sandbox %s: %w: %s", op, shellport.ErrDenied, fmt.Sprintf(format, args...))
	}
	switch {
	case !roleARN.MatchString(g.RoleARN):
		return shellport.Credentials{}, deny("ValidationError: roleArn %q is not an IAM role ARN", g.RoleARN)
	case !sessionName.MatchString(g.SessionName):
		return shellport.Credentials{}, deny("ValidationError: roleSessionName %q: 2 to 64 letters, digits and =,.@-", g.SessionName)
	case g.Duration < MinSessionDuration:
		return shellport.Credentials{}, deny("ValidationError: durationSeconds %d is less than the minimum of 900", int(g.Duration/time.Second))
	case g.Duration > MaxSessionDuration:
		return shellport.Credentials{}, deny("ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role (%d)", int(MaxSessionDuration/time.Second))
	case g.Policy != "" && !json.Valid([]byte(g.Policy)):
		return shellport.Credentials{}, deny("MalformedPolicyDocument: the session policy is not valid JSON")
	case len(g.Policy) > MaxSessionPolicy:
		return shellport.Credentials{}, deny("PackedPolicyTooLarge: the session policy is %d characters, over %d", len(g.Policy), MaxSessionPolicy)
	case len(g.Tags) > 50:
		return shellport.Credentials{}, deny("ValidationError: %d session tags, at most 50", len(g.Tags))
	}
	if g.Policy != "" {
		var doc struct {
			Version   string
			Statement json.RawMessage
		}
		if err := json.Unmarshal([]byte(g.Policy), &doc); err != nil || len(doc.Statement) == 0 {
			return shellport.Credentials{}, deny("MalformedPolicyDocument: a policy is a JSON object with a Statement")
		}
	}
	for k, v := range g.Tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return shellport.Credentials{}, deny("ValidationError: session tag %q: a key of 1 to 128 characters, a value of at most 256", k)
		}
	}
	rec := g
	rec.Tags = maps.Clone(g.Tags)
	s.grants = append(s.grants, rec)
	return shellport.Credentials{
		AccessKeyID:     "ASIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken:    "sandbox/" + base64.StdEncoding.EncodeToString(randomBytes(96)),
		Expiration:      s.Now().UTC().Add(g.Duration).Truncate(time.Second),
	}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

func randomString(n int, alphabet string) string {
	var b strings.Builder
	for _, c := range randomBytes(n) {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// Grants lists the grants Assume honoured, oldest first. It is a test
// knob, not part of the port.
func (s *Sandbox) Grants() []shellport.Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]shellport.Grant, len(s.grants))
	for i, g := range s.grants {
		out[i] = g
		out[i].Tags = maps.Clone(g.Tags)
	}
	return out
}

// RunningTasks implements shell.Access: the ARNs of the service's tasks
// running now, in the sandbox's one cluster (any cluster name is taken to
// mean it). A service that does not exist is ECS's ServiceNotFoundException.
func (a sandboxAccess) RunningTasks(_ context.Context, _, service string) ([]string, error) {
	const op = "ListTasks"
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return nil, err
	}
	s.settle()
	if svc, ok := s.resources[resourceKey(cloud.KindService, service)]; !ok || svc.deleting {
		return nil, fmt.Errorf("sandbox %s: ServiceNotFoundException: Service not found: %s: %w", op, service, cloud.ErrNotFound)
	}
	out := []string{}
	for _, id := range s.running(service, s.Now()) {
		out = append(out, taskARN(id))
	}
	return out, nil
}
