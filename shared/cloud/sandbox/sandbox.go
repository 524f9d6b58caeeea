// Package sandbox is an in-memory cloud for local runs and tests. It
// behaves like AWS where Berth's workflows can tell: resources go
// CREATING → AVAILABLE after a delay, deterministic names collide (and a
// create of an existing name returns it, as the AWS adapter does), deletes
// of missing things report them gone, dependencies block deletes, and a
// fault switch makes a chosen operation fail. Everything it makes says
// "sandbox" in its identifiers.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/scaling"
	shellport "github.com/berth-dev/berth/shared/shell"
)

// Account and Region appear in every sandbox ARN.
const (
	Account = "000000000000"
	Region  = "sandbox"
	Domain  = "sandbox.berth.local"
)

// Profile sets how long resources take.
type Profile struct {
	Name   string
	Create map[cloud.Kind]time.Duration
	Delete map[cloud.Kind]time.Duration
	// MountTargets is how long a filesystem's mount targets take once it is available.
	MountTargets time.Duration
	// Second is how long a second of a job's own time lasts on the
	// sandbox clock: a job's `sleep 600` takes 600*Second, and a
	// schedule's rate(1 minute) fires every 60*Second, so that long jobs
	// and schedules play out in a local run. 0 runs jobs at once; the
	// scheduler then keeps schedules at their own pace (see Schedules.Run).
	Second time.Duration
	// Faults make a share of calls fail at random (faults.go); none when Rate is 0.
	Faults Faults
}

// Profiles.
var (
	// Instant makes everything available at once, for tests that count.
	Instant = Profile{Name: "instant"}
	// Fast is the default for `make run`: a few seconds in all.
	Fast = Profile{Name: "fast",
		Create:       map[cloud.Kind]time.Duration{cloud.KindDatabase: 3 * time.Second, cloud.KindFilesystem: time.Second, cloud.KindService: 2 * time.Second},
		Delete:       map[cloud.Kind]time.Duration{cloud.KindDatabase: 2 * time.Second, cloud.KindService: time.Second},
		MountTargets: time.Second,
		Second:       time.Second / 30, // sleep 600 in 20 s, rate(1 minute) every 2 s
	}
	// Realistic is AWS's usual timings divided by 60: an RDS instance in
	// about 8 minutes, EFS in 30 s with 90 s of mount targets, an ECS
	// service deployment in 3 minutes.
	Realistic = Profile{Name: "realistic",
		Create: map[cloud.Kind]time.Duration{cloud.KindDatabase: 8 * time.Second, cloud.KindFilesystem: 500 * time.Millisecond,
			cloud.KindService: 3 * time.Second, cloud.KindAccessPoint: 100 * time.Millisecond},
		Delete:       map[cloud.Kind]time.Duration{cloud.KindDatabase: 6 * time.Second, cloud.KindService: 2 * time.Second, cloud.KindFilesystem: 500 * time.Millisecond},
		MountTargets: 1500 * time.Millisecond,
		Second:       time.Second / 60,
	}
)

// ProfileNamed finds a profile by name.
func ProfileNamed(name string) (Profile, error) {
	for _, p := range []Profile{Instant, Fast, Realistic} {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("sandbox profile %q: want instant, fast or realistic", name)
}

// Sandbox is the in-memory cloud. The zero value is not usable; use New.
type Sandbox struct {
	Profile Profile
	// Now is the sandbox's clock; tests may run it virtually.
	Now func() time.Time

	mu        sync.Mutex
	resources map[string]*resource
	faults    map[string]error
	// afterFaults fail calls after they took effect (FaultAfter).
	afterFaults map[string]error
	// once are the faults FaultOnce set, by op, spent in order.
	once  map[string][]string
	calls []string
	// rng draws the random faults; faultCalls and injected count them (faults.go).
	rng        *rand.Rand
	faultCalls int
	injected   map[string]int
	// Collisions counts creates that met an existing name.
	collisions int
	// rollouts are each service's deployments, oldest first.
	rollouts map[string][]*rollout
	// policies are each service's scaling policies, by name.
	policies map[string]map[string]scaling.Policy
	// jobs are job tasks by ARN, and by client token.
	jobs, tokens map[string]*job
	// scheduler holds schedules; nil until Schedules is first called.
	scheduler *Schedules
	// logs are the log groups' events (logs.go).
	logs logStore
	// secrets are Secrets Manager's, by id (secrets.go).
	secrets map[string]*secret
	// grants are the AssumeRole calls that issued credentials (access.go).
	grants []shellport.Grant
	// Dir holds the local files of data tasks (data.go); DataDir makes a
	// temporary one when it is empty.
	Dir     string
	dirOnce sync.Once
}

type resource struct {
	cloud.Resource
	spec      any
	tags      cloud.Tags
	createdAt time.Time
	readyAt   time.Time
	goneAt    time.Time
	deleting  bool
	mtReadyAt time.Time // filesystem mount targets
}

// New returns an empty sandbox on the wall clock.
func New(p Profile) *Sandbox {
	s := &Sandbox{Profile: p, Now: time.Now, resources: map[string]*resource{}, faults: map[string]error{}, afterFaults: map[string]error{}}
	s.SetFaults(p.Faults)
	return s
}

// Fault makes every call of op fail with err until cleared. op is a port
// method name ("CreateDatabase"), or "Check:<kind>" / "Delete:<kind>".
func (s *Sandbox) Fault(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = err
}

// FaultAfter makes every call of op that can lose its answer take effect
// and then fail with err, until cleared: a lost answer, on purpose.
func (s *Sandbox) FaultAfter(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterFaults[op] = err
}

// ClearFaults removes every fault.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.afterFaults, s.once = map[string]error{}, map[string]error{}, nil
}

// Resources lists what exists (including what is being deleted), by kind and name.
func (s *Sandbox) Resources() []cloud.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	out := []cloud.Resource{}
	for _, r := range s.resources {
		out = append(out, r.Resource)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind.Rank() < out[j].Kind.Rank()
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Tagged is a resource with the tags it was created with and when.
type Tagged struct {
	cloud.Resource
	Tags      cloud.Tags `json:"tags"`
	CreatedAt time.Time  `json:"createdAt"`
}

// TaggedWith lists the resources (not those being deleted) whose tag key
// has value, as the Resource Groups Tagging API's GetResources with a tag
// filter does, in Resources' order.
func (s *Sandbox) TaggedWith(key, value string) []Tagged {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	var out []Tagged
	for _, r := range s.resources {
		if r.deleting || r.tags[key] != value {
			continue
		}
		t := Tagged{Resource: s.view(r), Tags: cloud.Tags{}, CreatedAt: r.createdAt}
		for k, v := range r.tags {
			t.Tags[k] = v
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind.Rank() < out[j].Kind.Rank()
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// specTags are the tags a create's spec asks for.
func specTags(spec any) cloud.Tags {
	switch sp := spec.(type) {
	case cloud.DatabaseSpec:
		return sp.Tags
	case cloud.FilesystemSpec:
		return sp.Tags
	case cloud.RepositorySpec:
		return sp.Tags
	case cloud.LogGroupSpec:
		return sp.Tags
	case cloud.SecretSpec:
		return sp.Tags
	case cloud.AccessPointSpec:
		return sp.Tags
	case cloud.SecurityGroupSpec:
		return sp.Tags
	case cloud.TargetGroupSpec:
		return sp.Tags
	case cloud.ListenerRuleSpec:
		return sp.Tags
	case cloud.TaskSpec:
		return sp.Tags
	case cloud.ServiceSpec:
		return sp.Tags
	case cloud.ScalingSpec:
		return sp.Tags
	case cloud.ScheduleGroupSpec:
		return sp.Tags
	}
	return nil
}

// Spec is the spec a resource was created with (a cloud.ListenerRuleSpec
// for a listener rule, and so on), so that tests can see what was asked
// for; nil if there is no such resource.
func (s *Sandbox) Spec(kind cloud.Kind, name string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.resources {
		if r.Kind == kind && r.Name == name {
			return r.spec
		}
	}
	return nil
}

// Calls lists the operations called so far, in order.
func (s *Sandbox) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Collisions counts creates that met an existing resource of the same name.
func (s *Sandbox) Collisions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.collisions
}

// settle drops resources whose deletion has finished.
func (s *Sandbox) settle() {
	now := s.Now()
	for k, r := range s.resources {
		if r.deleting && !now.Before(r.goneAt) {
			delete(s.resources, k)
		}
	}
}

func resourceKey(kind cloud.Kind, name string) string { return string(kind) + "#" + name }

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

var (
	dbIdentifier = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9])*$`)
	tgName       = regexp.MustCompile(`^[a-zA-Z0-9](-?[a-zA-Z0-9])*$`)
)

func invalid(op, format string, args ...any) error {
	return fmt.Errorf("sandbox %s: %w: %s", op, cloud.ErrInvalid, fmt.Sprintf(format, args...))
}

// create makes a resource, or returns the one already there by that name.
func (s *Sandbox) create(op string, kind cloud.Kind, name string, spec any, id string, outputs map[string]string) (cloud.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before, lost := s.callLossy(op)
	if before != nil {
		return cloud.Resource{}, before
	}
	res, err := s.createLocked(op, kind, name, spec, id, outputs)
	if err == nil {
		err = lost // the resource is there; only the answer is lost
	}
	if err != nil {
		return cloud.Resource{}, err
	}
	return res, nil
}

func (s *Sandbox) createLocked(op string, kind cloud.Kind, name string, spec any, id string, outputs map[string]string) (cloud.Resource, error) {
	if name == "" {
		return cloud.Resource{}, invalid(op, "a name is required")
	}
	s.settle()
	k := resourceKey(kind, name)
	if r, ok := s.resources[k]; ok {
		s.collisions++
		if r.deleting {
			return cloud.Resource{}, fmt.Errorf("sandbox %s: %s %q already exists and is being deleted", op, kind, name)
		}
		return s.view(r), nil
	}
	if err := s.taken(op, name, spec); err != nil {
		return cloud.Resource{}, err
	}
	now := s.Now()
	r := &resource{Resource: cloud.Resource{Ref: cloud.Ref{Kind: kind, Name: name, ID: id}, Outputs: outputs},
		spec: spec, tags: specTags(spec), createdAt: now, readyAt: now.Add(s.Profile.Create[kind])}
	if r.Outputs[cloud.OutARN] == "" { // EFS's access point ARNs are by id
		r.Outputs[cloud.OutARN] = arn(kind, name)
	}
	s.resources[k] = r
	return s.view(r), nil
}

// taken refuses, as the AWS adapter does, a listener rule for a host that
// another environment's rule routes: taking it over would hand that
// environment's traffic to this one. Callers hold mu.
func (s *Sandbox) taken(op, name string, spec any) error {
	rule, ok := spec.(cloud.ListenerRuleSpec)
	if !ok {
		return nil
	}
	for _, r := range s.resources {
		if other, ok := r.spec.(cloud.ListenerRuleSpec); ok && !r.deleting && r.Name != name && strings.EqualFold(other.Host, rule.Host) &&
			!cloud.SameOwner(other.Tags, rule.Tags) {
			return fmt.Errorf("sandbox %s: %w: host %s is already routed by a listener rule that belongs to another environment; Berth never takes over another environment's rule", op, cloud.ErrConflict, rule.Host)
		}
	}
	return nil
}

func arn(kind cloud.Kind, name string) string {
	if kind == cloud.KindTargetGroup {
		// ELB's form, which CloudWatch's TargetGroup dimension is cut from.
		sum := sha256.Sum256([]byte(name))
		return "arn:aws:elasticloadbalancing:" + Region + ":" + Account + ":targetgroup/" + name + "/" + hex.EncodeToString(sum[:8])
	}
	return "arn:aws:" + string(kind) + ":" + Region + ":" + Account + ":" + name
}

// view reports r's state now.
func (s *Sandbox) view(r *resource) cloud.Resource {
	now := s.Now()
	out := r.Resource
	out.Outputs = map[string]string{}
	for k, v := range r.Outputs {
		out.Outputs[k] = v
	}
	out.Expected = s.Profile.Create[r.Kind]
	switch {
	case r.deleting:
		out.State = cloud.StateDeleting
	case now.Before(r.readyAt):
		out.State = cloud.StateCreating
	case r.Kind == cloud.KindFilesystem && (r.mtReadyAt.IsZero() || now.Before(r.mtReadyAt)):
		out.State = cloud.StateCreating
		out.Expected += s.Profile.MountTargets
	default:
		out.State = cloud.StateAvailable
	}
	if r.Kind == cloud.KindService {
		out.Outputs[cloud.OutTaskDefinition] = s.serving(r.Name, now)
		if out.State == cloud.StateAvailable {
			out.Outputs[cloud.OutRollout] = "COMPLETED"
			out.Outputs[cloud.OutRunning] = out.Outputs[cloud.OutDesired]
		}
	}
	return out
}

func tagsOK(op string, t cloud.Tags) error {
	if t[cloud.ManagedTag] != "true" {
		return invalid(op, "resources must carry the %s tag", cloud.ManagedTag)
	}
	return nil
}

// CreateDatabase implements cloud.Cloud.
func (s *Sandbox) CreateDatabase(_ context.Context, spec cloud.DatabaseSpec) (cloud.Resource, error) {
	const op = "CreateDatabase"
	if !dbIdentifier.MatchString(spec.Identifier) || len(spec.Identifier) > 63 {
		return cloud.Resource{}, invalid(op, "DBInstanceIdentifier %q: letters, digits and single hyphens, starting with a letter, at most 63", spec.Identifier)
	}
	if spec.Engine != "mysql" && spec.Engine != "postgres" {
		return cloud.Resource{}, invalid(op, "engine %q is not supported", spec.Engine)
	}
	if err := tagsOK(op, spec.Tags); err != nil {
		return cloud.Resource{}, err
	}
	port := "3306"
	if spec.Engine == "postgres" {
		port = "5432"
	}
	return s.create(op, cloud.KindDatabase, spec.Identifier, spec, spec.Identifier, map[string]string{
		cloud.OutEndpoint: spec.Identifier + "." + Domain, cloud.OutPort: port,
		cloud.OutSecretARN: arn("secret", "rds!"+spec.Identifier),
	})
}

// CreateFilesystem implements cloud.Cloud.
func (s *Sandbox) CreateFilesystem(_ context.Context, spec cloud.FilesystemSpec) (cloud.Resource, error) {
	if err := tagsOK("CreateFilesystem", spec.Tags); err != nil {
		return cloud.Resource{}, err
	}
	return s.create("CreateFilesystem", cloud.KindFilesystem, spec.CreationToken, spec, "fs-sandbox"+digest(spec.CreationToken), map[string]string{})
}

// CreateRepository implements cloud.Cloud.
func (s *Sandbox) CreateRepository(_ context.Context, spec cloud.RepositorySpec) (cloud.Resource, error) {
	return s.create("CreateRepository", cloud.KindRepository, spec.Name, spec, spec.Name, map[string]string{
		cloud.OutRepositoryURI: RegistryHost + "/" + spec.Name,
	})
}

// CreateLogGroup implements cloud.Cloud.
func (s *Sandbox) CreateLogGroup(_ context.Context, spec cloud.LogGroupSpec) (cloud.Resource, error) {
	res, err := s.create("CreateLogGroup", cloud.KindLogGroup, spec.Name, spec, spec.Name, map[string]string{})
	if err == nil {
		s.mu.Lock()
		delete(s.logs.deleted, spec.Name)
		s.mu.Unlock()
	}
	return res, err
}

// CreateScheduleGroup implements cloud.Cloud.
func (s *Sandbox) CreateScheduleGroup(_ context.Context, spec cloud.ScheduleGroupSpec) (cloud.Resource, error) {
	return s.create("CreateScheduleGroup", cloud.KindScheduleGroup, spec.Name, spec, arn("schedule-group", spec.Name), map[string]string{})
}

// CreateSecret implements cloud.Cloud.
func (s *Sandbox) CreateSecret(_ context.Context, spec cloud.SecretSpec) (cloud.Resource, error) {
	return s.create("CreateSecret", cloud.KindSecret, spec.Name, spec, arn("secret", spec.Name), map[string]string{})
}

// CreateAccessPoint implements cloud.Cloud.
func (s *Sandbox) CreateAccessPoint(_ context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	const op = "CreateAccessPoint"
	s.mu.Lock()
	fs := s.findByID(cloud.KindFilesystem, spec.FilesystemID)
	s.mu.Unlock()
	if fs == nil {
		return cloud.Resource{}, fmt.Errorf("sandbox %s: FileSystemNotFound: %s: %w", op, spec.FilesystemID, cloud.ErrInvalid)
	}
	id := "fsap-sandbox" + digest(spec.ClientToken)
	return s.create(op, cloud.KindAccessPoint, spec.ClientToken, spec, id,
		map[string]string{cloud.OutARN: "arn:aws:elasticfilesystem:" + Region + ":" + Account + ":access-point/" + id})
}

// CreateSecurityGroup implements cloud.Cloud.
func (s *Sandbox) CreateSecurityGroup(_ context.Context, spec cloud.SecurityGroupSpec) (cloud.Resource, error) {
	return s.create("CreateSecurityGroup", cloud.KindSecurityGroup, spec.Name, spec, "sg-sandbox"+digest(spec.Name), map[string]string{})
}

// CreateTargetGroup implements cloud.Cloud.
func (s *Sandbox) CreateTargetGroup(_ context.Context, spec cloud.TargetGroupSpec) (cloud.Resource, error) {
	if len(spec.Name) > 32 || !tgName.MatchString(spec.Name) {
		return cloud.Resource{}, invalid("CreateTargetGroup", "target group name %q: at most 32 letters, digits and hyphens", spec.Name)
	}
	return s.create("CreateTargetGroup", cloud.KindTargetGroup, spec.Name, spec, arn(cloud.KindTargetGroup, spec.Name), map[string]string{})
}

// CreateListenerRule implements cloud.Cloud.
func (s *Sandbox) CreateListenerRule(_ context.Context, spec cloud.ListenerRuleSpec) (cloud.Resource, error) {
	s.mu.Lock()
	tg := s.findByID(cloud.KindTargetGroup, spec.TargetGroupARN)
	s.mu.Unlock()
	if tg == nil {
		return cloud.Resource{}, fmt.Errorf("sandbox CreateListenerRule: TargetGroupNotFound: %s: %w", spec.TargetGroupARN, cloud.ErrInvalid)
	}
	return s.create("CreateListenerRule", cloud.KindListenerRule, spec.Name, spec, arn(cloud.KindListenerRule, spec.Name), map[string]string{cloud.OutHost: spec.Host})
}

// RegisterTaskDefinition implements cloud.Cloud. Every registration is a
// new revision, as in ECS.
func (s *Sandbox) RegisterTaskDefinition(_ context.Context, spec cloud.TaskSpec) (cloud.Resource, error) {
	const op = "RegisterTaskDefinition"
	if len(spec.Compose.Containers) == 0 {
		return cloud.Resource{}, invalid(op, "a task definition needs containers")
	}
	// As ECS does: every mount names a volume the task definition declares.
	declared := map[string]bool{}
	if spec.Filesystem != nil {
		declared[compose.DataVolume] = true
	}
	for _, v := range spec.Volumes {
		declared[v.Name] = true
	}
	for _, c := range spec.Compose.Containers {
		for _, m := range c.MountPoints {
			if !declared[m.SourceVolume] {
				return cloud.Resource{}, invalid(op, "container %q mounts sourceVolume %q, which is not declared in the task definition's volumes", c.Name, m.SourceVolume)
			}
		}
	}
	s.mu.Lock()
	rev := 1
	for _, r := range s.resources {
		if r.Kind == cloud.KindTaskDefinition && r.spec.(cloud.TaskSpec).Family == spec.Family {
			rev++
		}
	}
	s.mu.Unlock()
	name := spec.Family + ":" + strconv.Itoa(rev)
	outputs := map[string]string{cloud.OutRevision: strconv.Itoa(rev)}
	if r := spec.Tags[cloud.TagRelease]; r != "" {
		outputs[cloud.OutRelease] = r
	}
	return s.create(op, cloud.KindTaskDefinition, name, spec, arn(cloud.KindTaskDefinition, name), outputs)
}

// CreateService implements cloud.Cloud.
func (s *Sandbox) CreateService(_ context.Context, spec cloud.ServiceSpec) (cloud.Resource, error) {
	const op = "CreateService"
	s.mu.Lock()
	td := s.findByID(cloud.KindTaskDefinition, spec.TaskDefinitionARN)
	sg := s.findByID(cloud.KindSecurityGroup, spec.SecurityGroupID)
	s.mu.Unlock()
	if td == nil || sg == nil {
		return cloud.Resource{}, invalid(op, "the task definition %q and security group %q must exist", spec.TaskDefinitionARN, spec.SecurityGroupID)
	}
	res, err := s.create(op, cloud.KindService, spec.Name, spec, arn(cloud.KindService, spec.Name), map[string]string{
		cloud.OutDesired: strconv.Itoa(spec.DesiredCount), cloud.OutRunning: "0", cloud.OutRollout: "IN_PROGRESS",
	})
	if err == nil {
		s.mu.Lock()
		if len(s.rollouts[spec.Name]) == 0 {
			s.startRollout(spec.Name, td, spec.DesiredCount)
		}
		s.mu.Unlock()
	}
	return res, err
}

// RegisterScaling implements cloud.Cloud.
func (s *Sandbox) RegisterScaling(_ context.Context, spec cloud.ScalingSpec) (cloud.Resource, error) {
	if spec.Min > spec.Max {
		return cloud.Resource{}, invalid("RegisterScaling", "MinCapacity %d exceeds MaxCapacity %d", spec.Min, spec.Max)
	}
	res, err := s.create("RegisterScaling", cloud.KindScaling, spec.ServiceName, spec, "service/"+spec.ServiceName, map[string]string{})
	if err == nil && spec.TargetCPUPercent > 0 {
		s.registerCPUPolicy(spec) // an upsert, as PutScalingPolicy is
	}
	if err == nil {
		s.clampCount(spec)
	}
	return res, err
}

// clampCount brings the service's task count within new bounds, as
// Application Auto Scaling does when a target is registered.
func (s *Sandbox) clampCount(spec cloud.ScalingSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.resources[resourceKey(cloud.KindService, spec.ServiceName)]
	if !ok || svc.deleting {
		return
	}
	if n := svc.spec.(cloud.ServiceSpec).DesiredCount; n < spec.Min || n > spec.Max {
		s.setCount(svc, min(max(n, spec.Min), spec.Max))
	}
}

// findByID finds a live resource by kind and provider id. Callers hold mu.
func (s *Sandbox) findByID(kind cloud.Kind, id string) *resource {
	s.settle()
	for _, r := range s.resources {
		if r.Kind == kind && r.ID == id && !r.deleting {
			return r
		}
	}
	return nil
}

// Check implements cloud.Cloud.
func (s *Sandbox) Check(_ context.Context, ref cloud.Ref) (cloud.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("Check:" + string(ref.Kind)); err != nil {
		return cloud.Resource{}, err
	}
	s.settle()
	r, ok := s.resources[resourceKey(ref.Kind, ref.Name)]
	if !ok && ref.Kind == cloud.KindTaskDefinition && ref.ID == "" && !strings.Contains(ref.Name, ":") {
		r, ok = s.latestRevision(ref.Name) // as ECS describes a family by its name
	}
	if !ok {
		return cloud.Resource{}, fmt.Errorf("sandbox Check: %s %q: %w", ref.Kind, ref.Name, cloud.ErrNotFound)
	}
	now := s.Now()
	// Like the AWS adapter, a filesystem gets its mount targets once available.
	if r.Kind == cloud.KindFilesystem && !now.Before(r.readyAt) && r.mtReadyAt.IsZero() {
		r.mtReadyAt = now.Add(s.Profile.MountTargets)
	}
	return s.view(r), nil
}

// latestRevision is the family's latest revision not being deleted.
// Callers hold mu.
func (s *Sandbox) latestRevision(family string) (*resource, bool) {
	var latest *resource
	for _, r := range s.resources {
		if r.Kind == cloud.KindTaskDefinition && !r.deleting && r.spec.(cloud.TaskSpec).Family == family &&
			(latest == nil || revision(r) > revision(latest)) {
			latest = r
		}
	}
	return latest, latest != nil
}

func revision(r *resource) int {
	n, _ := strconv.Atoi(r.Outputs[cloud.OutRevision])
	return n
}

// Delete implements cloud.Cloud.
func (s *Sandbox) Delete(_ context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before, lost := s.callLossy("Delete:" + string(ref.Kind))
	if before != nil {
		return false, before
	}
	gone, err := s.deleteLocked(ref)
	if err == nil && lost != nil {
		return false, lost // the deletion goes on; only the answer is lost
	}
	return gone, err
}

func (s *Sandbox) deleteLocked(ref cloud.Ref) (bool, error) {
	s.settle()
	r, ok := s.resources[resourceKey(ref.Kind, ref.Name)]
	if !ok {
		return true, nil // AWS answers NotFound; the port calls that gone
	}
	if r.deleting {
		return false, nil
	}
	if s.inUse(r) {
		return false, nil // AWS: DependencyViolation, ResourceInUse, FileSystemInUse
	}
	now := s.Now()
	if r.Kind == cloud.KindService {
		s.stopTasks(r.Name, now) // ECS drains a deleted service's tasks
	}
	if r.Kind == cloud.KindLogGroup {
		s.dropLogs(r.Name)
	}
	r.deleting = true
	r.goneAt = now.Add(s.Profile.Delete[r.Kind])
	if r.Kind == cloud.KindScaling {
		delete(s.policies, r.Name) // deregistering a target deletes its policies
	}
	if r.Kind == cloud.KindScheduleGroup {
		s.dropSchedules(r.Name) // as deleting a schedule group does
	}
	s.settle()
	_, still := s.resources[resourceKey(ref.Kind, ref.Name)]
	return !still, nil
}

// inUse reports whether something that depends on r still exists.
func (s *Sandbox) inUse(r *resource) bool {
	for _, o := range s.resources {
		switch {
		case r.Kind == cloud.KindFilesystem && o.Kind == cloud.KindAccessPoint && o.spec.(cloud.AccessPointSpec).FilesystemID == r.ID,
			r.Kind == cloud.KindTargetGroup && o.Kind == cloud.KindListenerRule && o.spec.(cloud.ListenerRuleSpec).TargetGroupARN == r.ID,
			r.Kind == cloud.KindTargetGroup && o.Kind == cloud.KindService && o.spec.(cloud.ServiceSpec).TargetGroupARN == r.ID,
			r.Kind == cloud.KindSecurityGroup && o.Kind == cloud.KindService && o.spec.(cloud.ServiceSpec).SecurityGroupID == r.ID:
			return true
		}
	}
	return false
}

var _ cloud.Cloud = (*Sandbox)(nil)
