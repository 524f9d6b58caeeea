package awsnetwork

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a security group's, a target group's and a listener
// rule's creates and deletes through to the right answers, over EC2's
// protocol and ELBv2's.
func TestFaultsCreateAndDelete(t *testing.T) {
	ctx := context.Background()
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("CreateSecurityGroup", awstest.OK(`<groupId>sg-0123</groupId><securityGroupArn>`+sgARN+`</securityGroupArn>`))
		s.On("AuthorizeSecurityGroupIngress", awstest.OK(`<return>true</return>`))
		s.On("DeleteSecurityGroup", awstest.OK(`<return>true</return>`))
		s.On("CreateTargetGroup", awstest.OK(`<TargetGroups><member><TargetGroupArn>`+tgARN+`</TargetGroupArn></member></TargetGroups>`))
		s.On("DeleteTargetGroup", awstest.OK(""))
		s.On("DescribeRules", awstest.OK(rulesXML()))
		s.On("CreateRule", createdRule(ruleARN))
		s.On("DeleteRule", awstest.OK(""))

		sg, err := c.CreateSecurityGroup(ctx, securityGroupSpec)
		if err != nil || sg.ID != "sg-0123" || sg.Outputs[cloud.OutARN] != sgARN {
			return fmt.Errorf("security group %+v, %v", sg, err)
		}
		tg, err := c.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "berth-production-0123456789", Port: 80, Tags: awstest.Tags})
		if err != nil || tg.ID != tgARN {
			return fmt.Errorf("target group %+v, %v", tg, err)
		}
		rule, err := c.CreateListenerRule(ctx, ruleSpec)
		if err != nil || rule.ID != ruleARN || rule.Outputs[cloud.OutHost] != host {
			return fmt.Errorf("listener rule %+v, %v", rule, err)
		}
		for _, ref := range []cloud.Ref{rule.Ref, tg.Ref, sg.Ref} {
			if gone, err := c.Delete(ctx, ref, cloud.DeleteOptions{}); err != nil || !gone {
				return fmt.Errorf("delete %s: gone %v, %v", ref.Kind, gone, err)
			}
		}
		return nil
	})
}
