// Package berth holds the CDK constructs that deploy Berth: the control
// plane (REST API, one function per route, the table, the state machines,
// alarms) and the data plane shared by tenants (VPC, ECS cluster, ALB,
// security groups). infra/main.go composes them into one stack.
//
// Lambda code never imports this package: it pulls in awscdk and jsii.
package berth

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/ratelimit"
)

// Context keys. Every setting of the app comes through CDK context (cdk.json,
// or `cdk synth -c berth:vpcId=vpc-123`); see infra/README.md.
const (
	CtxStackName        = "berth:stackName"
	CtxResourcePrefix   = "berth:resourcePrefix"
	CtxVPCID            = "berth:vpcId"
	CtxMaxAZs           = "berth:maxAzs"
	CtxNATGateways      = "berth:natGateways"
	CtxCertificateARN   = "berth:certificateArn"
	CtxPlatformDomain   = "berth:platformDomain"
	CtxAPIStageName     = "berth:apiStageName"
	CtxAPIThrottleRate  = "berth:apiThrottleRate"
	CtxAPIThrottleBurst = "berth:apiThrottleBurst"
	// Each token's own limits, through its API key in the usage plan.
	CtxTokenThrottleRate  = "berth:tokenThrottleRate"
	CtxTokenThrottleBurst = "berth:tokenThrottleBurst"
	CtxLogRetentionDays   = "berth:logRetentionDays"
	CtxFunctionMemoryMB   = "berth:functionMemoryMb"
	CtxAlarmTopicARN      = "berth:alarmTopicArn"
	CtxCodeDir            = "berth:codeDir"
	CtxStateMachinesDir   = "berth:stateMachinesDir"
	CtxNag                = "berth:nag"
	// IAM role names (in the stack's account) tenants may name as
	// taskRoleArn; the step functions may pass only these and the task
	// execution role to ECS. Default: <resourcePrefix>-task-*.
	CtxTaskRoleNames = "berth:taskRoleNames"
	// Retention of the log groups the workflows create for tenants.
	CtxTenantLogRetentionDays = "berth:tenantLogRetentionDays"
	// CtxBackupRetentionDays is how many days backups are kept before the
	// backups bucket's lifecycle rule deletes them.
	CtxBackupRetentionDays = "berth:backupRetentionDays"
	// CtxDataImage is the image data tasks (backups, restores, syncs) run:
	// images/berth-data, pushed where ECS can pull it. Empty: every data
	// operation fails, saying so.
	CtxDataImage = "berth:dataImage"
)

// Config is the app's configuration, read from CDK context.
type Config struct {
	StackName string
	// ResourcePrefix starts the name of every tenant resource the workflows
	// create (ECR repositories, secrets, log groups); grants are scoped to it.
	ResourcePrefix string
	// VPCID imports an existing VPC (Vpc.fromLookup) instead of creating one.
	VPCID       string
	MaxAZs      int
	NATGateways int
	// CertificateARN turns the shared ALB's listener into HTTPS on 443
	// (with HTTP redirected); without it the ALB listens on HTTP only.
	CertificateARN string
	// PlatformDomain is the domain tenants' hosts live under, handed to the
	// workflows for their listener rules.
	PlatformDomain     string
	APIStageName       string
	APIThrottleRate    float64
	APIThrottleBurst   int
	TokenThrottleRate  float64
	TokenThrottleBurst int
	LogRetentionDays   int
	FunctionMemoryMB   int
	// AlarmTopicARN is an SNS topic every alarm notifies; empty: no action.
	AlarmTopicARN string
	// CodeDir holds a <route>/bootstrap for every function (`make build`).
	CodeDir string
	// StateMachinesDir holds a <workflow>.asl.json for every workflow.
	StateMachinesDir string
	// Nag runs cdk-nag's AwsSolutions checks during synthesis.
	Nag bool
	// TaskRoleNames is an IAM role name pattern (* allowed) for the task
	// roles tenants may use; empty means TaskRoleNamePattern's default.
	TaskRoleNames string
	// TenantLogRetentionDays is the retention of tenants' log groups.
	TenantLogRetentionDays int
	// BackupRetentionDays is how long backups are kept, 1 to MaxBackupRetentionDays.
	BackupRetentionDays int
	// DataImage is the image of data tasks (images/berth-data); empty, the
	// data-operation workflow fails with an error that names it.
	DataImage string
}

// MaxBackupRetentionDays is the longest BackupRetentionDays: ten years.
const MaxBackupRetentionDays = 3653

// TaskRoleNamePattern is the name pattern of the roles the step functions
// may pass to ECS as a task role: TaskRoleNames, or <prefix>-task-*.
func (c Config) TaskRoleNamePattern() string {
	if c.TaskRoleNames != "" {
		return c.TaskRoleNames
	}
	return c.ResourcePrefix + "-task-*"
}

// DefaultTaskRoleName names the task role of tenants' tasks whose compose
// definition names none: TaskRoleNamePattern with each * as "default", so
// that the service step may pass it like any task role tenants name.
func (c Config) DefaultTaskRoleName() string {
	return strings.ReplaceAll(c.TaskRoleNamePattern(), "*", "default")
}

// ShellRoleName names the role shell access credentials are issued for:
// <prefix>-shell-access. It must not fit TaskRoleNamePattern, or a tenant
// could name it as a task role (Validate says so).
func (c Config) ShellRoleName() string {
	return c.ResourcePrefix + "-shell-access"
}

// DataTaskRoleName names the task role of data tasks, which may write and
// read backups: <prefix>-data-task. It must not fit TaskRoleNamePattern,
// or a tenant could name it as a task role (Validate says so).
func (c Config) DataTaskRoleName() string {
	return c.ResourcePrefix + "-data-task"
}

// imageReferenceRE is an image reference: [registry[:port]/]path[:tag][@sha256:digest],
// in Docker's grammar (lower-case path components, a tag of at most 128).
var imageReferenceRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`)

// IsImageReference tells whether s is an image reference ECS could pull,
// such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/berth-data:1.0
// or ghcr.io/org/berth-data@sha256:....
func IsImageReference(s string) bool {
	return len(s) <= 255 && imageReferenceRE.MatchString(s)
}

// DefaultConfig is the configuration when no context is given.
func DefaultConfig() Config {
	return Config{
		StackName:        "Berth",
		ResourcePrefix:   "berth",
		MaxAZs:           2,
		NATGateways:      1,
		PlatformDomain:   "",
		APIStageName:     "v3",
		APIThrottleRate:  500,
		APIThrottleBurst: 1000,
		// The same per-token limit as the local stack's.
		TokenThrottleRate:  ratelimit.TokenRate,
		TokenThrottleBurst: ratelimit.TokenBurst,
		LogRetentionDays:   30,
		FunctionMemoryMB:   DefaultFunctionMemoryMB,
		CodeDir:            "bin",
		StateMachinesDir:   "statemachines",
		Nag:                true,
		// Tenants' logs are kept as long as Berth's own by default.
		TenantLogRetentionDays: 30,
		BackupRetentionDays:    30,
	}
}

// retentions are the retention periods CloudWatch Logs accepts, in days.
var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// retention is the RetentionDays for a validated number of days.
func retention(days int) awslogs.RetentionDays { return retentions[days] }

// ConfigFromContext reads the configuration from a node's context, over
// DefaultConfig. Values may be JSON typed (cdk.json) or strings (`-c`).
func ConfigFromContext(node constructs.Node) (Config, error) {
	c := DefaultConfig()
	r := contextReader{node: node}
	r.str(CtxStackName, &c.StackName)
	r.str(CtxResourcePrefix, &c.ResourcePrefix)
	r.str(CtxVPCID, &c.VPCID)
	r.integer(CtxMaxAZs, &c.MaxAZs)
	r.integer(CtxNATGateways, &c.NATGateways)
	r.str(CtxCertificateARN, &c.CertificateARN)
	r.str(CtxPlatformDomain, &c.PlatformDomain)
	r.str(CtxAPIStageName, &c.APIStageName)
	r.number(CtxAPIThrottleRate, &c.APIThrottleRate)
	r.integer(CtxAPIThrottleBurst, &c.APIThrottleBurst)
	r.number(CtxTokenThrottleRate, &c.TokenThrottleRate)
	r.integer(CtxTokenThrottleBurst, &c.TokenThrottleBurst)
	r.integer(CtxLogRetentionDays, &c.LogRetentionDays)
	r.integer(CtxFunctionMemoryMB, &c.FunctionMemoryMB)
	r.str(CtxAlarmTopicARN, &c.AlarmTopicARN)
	r.str(CtxCodeDir, &c.CodeDir)
	r.str(CtxStateMachinesDir, &c.StateMachinesDir)
	r.boolean(CtxNag, &c.Nag)
	r.str(CtxTaskRoleNames, &c.TaskRoleNames)
	r.integer(CtxTenantLogRetentionDays, &c.TenantLogRetentionDays)
	r.integer(CtxBackupRetentionDays, &c.BackupRetentionDays)
	r.str(CtxDataImage, &c.DataImage)
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("CDK context: %s", strings.Join(r.errs, "; "))
	}
	return c, c.Validate()
}

// Validate reports every setting out of range.
func (c Config) Validate() error {
	var errs []string
	bad := func(key, format string, args ...any) {
		errs = append(errs, key+" "+fmt.Sprintf(format, args...))
	}
	if c.StackName == "" {
		bad(CtxStackName, "must not be empty")
	}
	if !isDNSLabel(c.ResourcePrefix) || len(c.ResourcePrefix) > 16 {
		bad(CtxResourcePrefix, "must be 1 to 16 characters of a-z, 0-9 and -, got %q", c.ResourcePrefix)
	}
	if c.VPCID != "" && !strings.HasPrefix(c.VPCID, "vpc-") {
		bad(CtxVPCID, "must be a VPC id (vpc-...), got %q", c.VPCID)
	}
	if c.MaxAZs < 2 || c.MaxAZs > 6 {
		bad(CtxMaxAZs, "must be 2 to 6 (an ALB needs two zones), got %d", c.MaxAZs)
	}
	switch {
	case c.NATGateways < 0 || c.NATGateways > c.MaxAZs:
		bad(CtxNATGateways, "must be 0 to %s (%d), got %d", CtxMaxAZs, c.MaxAZs, c.NATGateways)
	case c.VPCID == "" && c.NATGateways < 1:
		bad(CtxNATGateways, "must be at least 1 for a new VPC: tenant tasks in private subnets pull images through NAT")
	}
	if c.CertificateARN != "" && !strings.HasPrefix(c.CertificateARN, "arn:") {
		bad(CtxCertificateARN, "must be an ACM certificate ARN, got %q", c.CertificateARN)
	}
	if c.PlatformDomain != "" && !isDomain(c.PlatformDomain) {
		bad(CtxPlatformDomain, "must be a domain name such as apps.example.com, at most %d characters so that hosts under it fit DNS's 253, got %q", cloud.MaxDomainLength, c.PlatformDomain)
	}
	if !isStageName(c.APIStageName) {
		bad(CtxAPIStageName, "must be 1 to 128 characters of a-z, A-Z, 0-9, - and _, got %q", c.APIStageName)
	}
	if c.APIThrottleRate <= 0 || c.APIThrottleRate > 10000 {
		bad(CtxAPIThrottleRate, "must be above 0 and at most 10000 requests per second, got %v", c.APIThrottleRate)
	}
	if c.APIThrottleBurst < 1 || c.APIThrottleBurst > 5000 {
		bad(CtxAPIThrottleBurst, "must be 1 to 5000, got %d", c.APIThrottleBurst)
	}
	if c.TokenThrottleRate <= 0 || c.TokenThrottleRate > c.APIThrottleRate {
		bad(CtxTokenThrottleRate, "must be above 0 and at most %s (%v), got %v", CtxAPIThrottleRate, c.APIThrottleRate, c.TokenThrottleRate)
	}
	if c.TokenThrottleBurst < 1 || c.TokenThrottleBurst > c.APIThrottleBurst {
		bad(CtxTokenThrottleBurst, "must be 1 to %s (%d), got %d", CtxAPIThrottleBurst, c.APIThrottleBurst, c.TokenThrottleBurst)
	}
	if _, ok := retentions[c.LogRetentionDays]; !ok {
		days := slices.Sorted(maps.Keys(retentions))
		bad(CtxLogRetentionDays, "must be one of %v, got %d", days, c.LogRetentionDays)
	}
	if c.FunctionMemoryMB < 128 || c.FunctionMemoryMB > 10240 {
		bad(CtxFunctionMemoryMB, "must be 128 to 10240, got %d", c.FunctionMemoryMB)
	}
	if c.AlarmTopicARN != "" && !strings.HasPrefix(c.AlarmTopicARN, "arn:") {
		bad(CtxAlarmTopicARN, "must be an SNS topic ARN, got %q", c.AlarmTopicARN)
	}
	if c.CodeDir == "" {
		bad(CtxCodeDir, "must not be empty")
	}
	if c.StateMachinesDir == "" {
		bad(CtxStateMachinesDir, "must not be empty")
	}
	if c.TaskRoleNames != "" && !isRoleNamePattern(c.TaskRoleNames) {
		bad(CtxTaskRoleNames, "must be an IAM role name pattern (1 to 64 characters of a-z, A-Z, 0-9, +=,.@_- and *), not \"*\" alone, got %q", c.TaskRoleNames)
	}
	if c.TaskRoleNames != "" && isRoleNamePattern(c.TaskRoleNames) {
		if n := c.DefaultTaskRoleName(); len(n) > 64 {
			bad(CtxTaskRoleNames, "must leave room for the default task role's name, each * made \"default\" (%s), within IAM's 64 characters", n)
		}
		if ok, _ := path.Match(c.TaskRoleNames, c.ShellRoleName()); ok {
			bad(CtxTaskRoleNames, "must not fit the shell access role %s: a tenant could name it as a task role", c.ShellRoleName())
		}
		if ok, _ := path.Match(c.TaskRoleNames, c.DataTaskRoleName()); ok {
			bad(CtxTaskRoleNames, "must not fit the data task role %s: a tenant could name it as a task role, and read every backup", c.DataTaskRoleName())
		}
	}
	if _, ok := retentions[c.TenantLogRetentionDays]; !ok {
		days := slices.Sorted(maps.Keys(retentions))
		bad(CtxTenantLogRetentionDays, "must be one of %v, got %d", days, c.TenantLogRetentionDays)
	}
	if c.BackupRetentionDays < 1 || c.BackupRetentionDays > MaxBackupRetentionDays {
		bad(CtxBackupRetentionDays, "must be 1 to %d days, got %d", MaxBackupRetentionDays, c.BackupRetentionDays)
	}
	if c.DataImage != "" && !IsImageReference(c.DataImage) {
		bad(CtxDataImage, "must be an image reference such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/%s/berth-data:1.0 (registry/path[:tag][@sha256:digest], lower-case path), got %q", c.ResourcePrefix, c.DataImage)
	}
	if len(errs) > 0 {
		return fmt.Errorf("CDK context: %s", strings.Join(errs, "; "))
	}
	return nil
}

type contextReader struct {
	node constructs.Node
	errs []string
}

func (r *contextReader) get(key string) (any, bool) {
	v := r.node.TryGetContext(&key)
	return v, v != nil
}

func (r *contextReader) fail(key string, v any, want string) {
	r.errs = append(r.errs, fmt.Sprintf("%s must be %s, got %v", key, want, v))
}

func (r *contextReader) str(key string, dst *string) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		r.fail(key, v, "a string")
		return
	}
	*dst = strings.TrimSpace(s)
}

func (r *contextReader) number(key string, dst *float64) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	switch n := v.(type) {
	case float64:
		*dst = n
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			r.fail(key, v, "a number")
			return
		}
		*dst = f
	default:
		r.fail(key, v, "a number")
	}
}

func (r *contextReader) integer(key string, dst *int) {
	f := float64(*dst)
	before := len(r.errs)
	r.number(key, &f)
	if len(r.errs) > before {
		return
	}
	if f != float64(int(f)) {
		r.fail(key, f, "a whole number")
		return
	}
	*dst = int(f)
}

func (r *contextReader) boolean(key string, dst *bool) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	switch b := v.(type) {
	case bool:
		*dst = b
	case string:
		p, err := strconv.ParseBool(strings.TrimSpace(b))
		if err != nil {
			r.fail(key, v, "true or false")
			return
		}
		*dst = p
	default:
		r.fail(key, v, "true or false")
	}
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(s) > cloud.MaxDomainLength || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !isDNSLabel(l) {
			return false
		}
	}
	return true
}

// isRoleNamePattern accepts an IAM role name with * wildcards, but not one
// that matches every role.
func isRoleNamePattern(s string) bool {
	if s == "" || len(s) > 64 || strings.Trim(s, "*") == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-*", c)) {
			return false
		}
	}
	return true
}

func isStageName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// pascal turns a route or workflow name into a construct id:
// create-application -> CreateApplication.
func pascal(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
