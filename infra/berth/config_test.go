package berth_test

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/apps"
)

func TestConfigValidation(t *testing.T) {
	cases := map[string]struct {
		change func(*berth.Config)
		want   string
	}{
		"defaults":             {func(*berth.Config) {}, ""},
		"one zone":             {func(c *berth.Config) { c.MaxAZs = 1 }, berth.CtxMaxAZs},
		"no NAT for a new VPC": {func(c *berth.Config) { c.NATGateways = 0 }, berth.CtxNATGateways},
		"no NAT, imported VPC": {func(c *berth.Config) { c.NATGateways = 0; c.VPCID = "vpc-0123" }, ""},
		"bad VPC id":           {func(c *berth.Config) { c.VPCID = "0123" }, berth.CtxVPCID},
		"bad certificate":      {func(c *berth.Config) { c.CertificateARN = "cert" }, berth.CtxCertificateARN},
		"bad domain":           {func(c *berth.Config) { c.PlatformDomain = "Apps_Example" }, berth.CtxPlatformDomain},
		"good domain":          {func(c *berth.Config) { c.PlatformDomain = "apps.example.com" }, ""},
		"domain leaving no room for a host": {func(c *berth.Config) {
			c.PlatformDomain = strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + ".example"
		}, berth.CtxPlatformDomain},
		"bad stage":                             {func(c *berth.Config) { c.APIStageName = "v 3" }, berth.CtxAPIStageName},
		"no throttle":                           {func(c *berth.Config) { c.APIThrottleRate = 0 }, berth.CtxAPIThrottleRate},
		"retention CloudWatch refuses":          {func(c *berth.Config) { c.LogRetentionDays = 31 }, berth.CtxLogRetentionDays},
		"tiny functions":                        {func(c *berth.Config) { c.FunctionMemoryMB = 64 }, berth.CtxFunctionMemoryMB},
		"bad prefix":                            {func(c *berth.Config) { c.ResourcePrefix = "Berth" }, berth.CtxResourcePrefix},
		"bad alarm topic":                       {func(c *berth.Config) { c.AlarmTopicARN = "topic" }, berth.CtxAlarmTopicARN},
		"every role as task role":               {func(c *berth.Config) { c.TaskRoleNames = "*" }, berth.CtxTaskRoleNames},
		"task role path":                        {func(c *berth.Config) { c.TaskRoleNames = "a/b" }, berth.CtxTaskRoleNames},
		"task roles":                            {func(c *berth.Config) { c.TaskRoleNames = "acme-app-*" }, ""},
		"tenant retention":                      {func(c *berth.Config) { c.TenantLogRetentionDays = 2 }, berth.CtxTenantLogRetentionDays},
		"no backup retention":                   {func(c *berth.Config) { c.BackupRetentionDays = 0 }, berth.CtxBackupRetentionDays},
		"backups kept too long":                 {func(c *berth.Config) { c.BackupRetentionDays = berth.MaxBackupRetentionDays + 1 }, berth.CtxBackupRetentionDays},
		"backups kept a day":                    {func(c *berth.Config) { c.BackupRetentionDays = 1 }, ""},
		"task roles fitting the shell role":     {func(c *berth.Config) { c.TaskRoleNames = "berth-*" }, berth.CtxTaskRoleNames},
		"no room for the default task role":     {func(c *berth.Config) { c.TaskRoleNames = strings.Repeat("a", 58) + "-*" }, berth.CtxTaskRoleNames},
		"task roles fitting the data task role": {func(c *berth.Config) { c.TaskRoleNames = "berth-data-*" }, berth.CtxTaskRoleNames},
		"data image in ECR": {func(c *berth.Config) {
			c.DataImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/berth-data:1.0"
		}, ""},
		"data image by digest":    {func(c *berth.Config) { c.DataImage = "ghcr.io/berth-dev/berth-data@sha256:" + strings.Repeat("ab", 32) }, ""},
		"data image on a port":    {func(c *berth.Config) { c.DataImage = "localhost:5000/berth-data" }, ""},
		"data image upper-case":   {func(c *berth.Config) { c.DataImage = "ghcr.io/Berth/berth-data:1.0" }, berth.CtxDataImage},
		"data image with a space": {func(c *berth.Config) { c.DataImage = "berth-data 1.0" }, berth.CtxDataImage},
		"data image URL":          {func(c *berth.Config) { c.DataImage = "https://ghcr.io/berth-dev/berth-data:1.0" }, berth.CtxDataImage},
		"data image empty tag":    {func(c *berth.Config) { c.DataImage = "berth-data:" }, berth.CtxDataImage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := berth.DefaultConfig()
			defer func() {
				// The default task role fits the pattern the service step may pass.
				if ok, _ := path.Match(c.TaskRoleNamePattern(), c.DefaultTaskRoleName()); !ok && tc.want == "" {
					t.Errorf("default task role %s does not fit %s", c.DefaultTaskRoleName(), c.TaskRoleNamePattern())
				}
			}()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestConfigFromContextNamesEveryBadValue(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		berth.CtxMaxAZs:              "two",
		berth.CtxNag:                 "maybe",
		berth.CtxLogRetentionDays:    31,
		berth.CtxVPCID:               42,
		berth.CtxBackupRetentionDays: "a month",
	}})
	_, err := berth.ConfigFromContext(app.Node())
	if err == nil {
		t.Fatal("bad context accepted")
	}
	for _, key := range []string{berth.CtxMaxAZs, berth.CtxNag, berth.CtxVPCID, berth.CtxBackupRetentionDays} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}

	app = awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		berth.CtxMaxAZs: "3", berth.CtxNag: "false", berth.CtxLogRetentionDays: 90.0,
		berth.CtxCertificateARN: " arn:aws:acm:eu-west-1:123456789012:certificate/abc ",
	}})
	c, err := berth.ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxAZs != 3 || c.Nag || c.LogRetentionDays != 90 || c.CertificateARN != "arn:aws:acm:eu-west-1:123456789012:certificate/abc" {
		t.Errorf("config %+v", c)
	}
	if c.TaskRoleNamePattern() != "berth-task-*" || c.TenantLogRetentionDays != 30 || c.BackupRetentionDays != 30 {
		t.Errorf("task roles %q, tenant log retention %d, backup retention %d; want the defaults", c.TaskRoleNamePattern(), c.TenantLogRetentionDays, c.BackupRetentionDays)
	}
}

func writeDefinitions(t *testing.T, defs map[apps.Workflow]string) string {
	t.Helper()
	dir := t.TempDir()
	for w, def := range defs {
		if err := os.WriteFile(filepath.Join(dir, string(w)+".asl.json"), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Synthesis stops with a clear error when a workflow's definition is
// missing, is not a state machine, or names a value that does not exist.
func TestWorkflowDefinitionsAreChecked(t *testing.T) {
	const pass = `{"StartAt":"Done","States":{"Done":{"Type":"Pass","End":true}}}`
	cases := map[string]struct {
		defs map[apps.Workflow]string
		want []string
	}{
		"missing": {
			map[apps.Workflow]string{apps.ProvisionApplication: pass},
			[]string{"teardown-application.asl.json does not exist", "provision-environment.asl.json does not exist", "teardown-environment.asl.json does not exist"},
		},
		"not JSON": {
			map[apps.Workflow]string{apps.ProvisionApplication: `{"StartAt":`},
			[]string{"provision-application.asl.json is not valid JSON"},
		},
		"no such start": {
			map[apps.Workflow]string{apps.ProvisionApplication: `{"StartAt":"Nowhere","States":{"Done":{"Type":"Pass","End":true}}}`},
			[]string{`starts at "Nowhere", which is not a state`},
		},
		"unknown value": {
			map[apps.Workflow]string{apps.ProvisionApplication: `{"StartAt":"Done","States":{"Done":{"Type":"Pass","Result":"${NoSuchValue}","End":true}}}`},
			[]string{"names ${NoSuchValue}, which has no value; known: TableName"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			workflows := []apps.Workflow{apps.ProvisionApplication}
			if name == "missing" {
				workflows = apps.Workflows
			}
			stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("T"), nil)
			_, err := berth.NewWorkflows(stack, "Workflows", &berth.WorkflowsProps{
				Dir: writeDefinitions(t, tc.defs), Workflows: workflows,
				Values: map[string]*string{"TableName": jsii.String("t")}, LogRetentionDays: 30,
			})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// With a certificate, the shared ALB listens on HTTPS and redirects HTTP.
func TestHTTPSListenerWithACertificate(t *testing.T) {
	s := synth(t) // builds the functions this second synthesis reuses
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	cfg := s.Config
	cfg.CertificateARN = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
	// The same second synthesis also names an alarm topic.
	cfg.AlarmTopicARN = "arn:aws:sns:eu-west-1:123456789012:berth-alarms"
	cfg.Nag = false
	stack, err := berth.NewStack(app, "Https", &berth.StackProps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	tpl := assertions.Template_FromStack(stack.Stack, nil)
	check(t, "HTTPS listener", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), &map[string]any{
			"Port": 443, "Protocol": "HTTPS", "SslPolicy": assertions.Match_AnyValue(),
			"Certificates": []any{map[string]any{"CertificateArn": cfg.CertificateARN}},
		})
	})
	check(t, "HTTP redirect", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), &map[string]any{
			"Port": 80, "Protocol": "HTTP",
			"DefaultActions": []any{assertions.Match_ObjectLike(&map[string]any{
				"Type": "redirect", "RedirectConfig": assertions.Match_ObjectLike(&map[string]any{"Port": "443", "Protocol": "HTTPS"}),
			})},
		})
	})
	check(t, "listeners", func() { tpl.ResourceCountIs(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), jsii.Number(2)) })
	// Environment-agnostic (no account or region, as an offline `cdk synth`
	// without credentials): ALB access logs need a region, so they are off;
	// the buckets are the backups' and the site's.
	check(t, "no access-log bucket without a region", func() { tpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(2)) })
	// Every alarm, the workflows' three among them, notifies the topic.
	alarms := tpl.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil)
	for _, id := range []string{"WorkflowsFailed", "WorkflowsTimedOut", "WorkflowsThrottled"} {
		found := false
		for logicalID := range *alarms {
			found = found || strings.HasPrefix(logicalID, "Alarms"+id)
		}
		if !found {
			t.Errorf("no alarm %s", id)
		}
	}
	for logicalID, a := range *alarms {
		raw, _ := json.Marshal(a)
		var alarm struct {
			Properties struct{ AlarmActions []string }
		}
		if err := json.Unmarshal(raw, &alarm); err != nil || !slices.Equal(alarm.Properties.AlarmActions, []string{cfg.AlarmTopicARN}) {
			t.Errorf("alarm %s: actions %s, want the topic %s", logicalID, raw, cfg.AlarmTopicARN)
		}
	}
}

// A stack whose functions are not built fails at synthesis, naming them.
func TestUnbuiltFunctionsFailSynthesis(t *testing.T) {
	cfg := berth.DefaultConfig()
	cfg.CodeDir = t.TempDir()
	cfg.StateMachinesDir = filepath.Join(repoRoot, "infra", "testdata", "statemachines")
	_, err := berth.NewStack(awscdk.NewApp(nil), "Unbuilt", &berth.StackProps{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "make build") || !strings.Contains(err.Error(), "create-application") {
		t.Fatalf("error %v, want one naming the unbuilt functions and `make build`", err)
	}
}
