package berth_test

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/infra/berth"
)

// TestReconcilerHasLeastPrivilegeAndRunsEvery15Minutes: the reconciler
// may list tagged resources, read and scan the table, check and delete
// each kind, and start and describe the provisioning and teardown
// executions, but create, tag, register or pass nothing; an EventBridge
// rule invokes it every 15 minutes, acting (not a dry run).
func TestReconcilerHasLeastPrivilegeAndRunsEvery15Minutes(t *testing.T) {
	s := synth(t)
	fn := resourceByID(t, s.Template, berth.FunctionLogicalID(berth.ReconcileFunction))
	roleID, _, _ := getAtt(fn.Properties["Role"])
	got := map[string]bool{}
	for _, st := range statements(s.Template, roleID) {
		for _, a := range strs(st["Action"]) {
			got[a] = true
			_, verb, _ := strings.Cut(a, ":")
			allowed := a == "rds:CreateDBSnapshot" || a == "rds:AddTagsToResource" || a == "logs:CreateLogStream" || a == "logs:PutLogEvents" ||
				strings.HasPrefix(a, "xray:") || strings.HasPrefix(a, "dynamodb:") || a == "states:StartExecution"
			for _, bad := range []string{"Create", "Register", "Put", "Run", "Tag", "Authorize", "Pass", "Modify", "Stop"} {
				if strings.HasPrefix(verb, bad) && !allowed {
					t.Errorf("reconciler may %s", a)
				}
			}
		}
	}
	for _, want := range []string{"tag:GetResources", "dynamodb:Scan", "states:StartExecution", "states:DescribeExecution",
		"rds:DeleteDBInstance", "elasticfilesystem:DeleteFileSystem", "ecr:DeleteRepository", "logs:DeleteLogGroup",
		"secretsmanager:DeleteSecret", "elasticfilesystem:DeleteAccessPoint", "ec2:DeleteSecurityGroup",
		"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeleteRule", "ecs:DeleteService", "ecs:DeregisterTaskDefinition",
		"application-autoscaling:DeregisterScalableTarget", "scheduler:DeleteScheduleGroup"} {
		if !got[want] {
			t.Errorf("reconciler may not %s", want)
		}
	}
	rule := onlyResource(t, s.Template, "AWS::Events::Rule")
	if rule.Properties["ScheduleExpression"] != "rate(15 minutes)" {
		t.Errorf("schedule %v", rule.Properties["ScheduleExpression"])
	}
	if target := flatten(rule.Properties["Targets"]); !strings.Contains(target, berth.FunctionLogicalID(berth.ReconcileFunction)) || !strings.Contains(target, `\"dryRun\":false`) && !strings.Contains(target, `"dryRun":false`) {
		t.Errorf("targets %s", target)
	}
}
