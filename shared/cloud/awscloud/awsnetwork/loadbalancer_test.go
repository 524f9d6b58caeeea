package awsnetwork

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const (
	tgARN      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-production-0123456789/73e2d6bc24d8a067"
	otherTGARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-old/0000"
	ruleARN    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2/1"
	denyARN    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2/2"
	host       = "production-my-app-acme.berth.example"
)

func TestCreateTargetGroupRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateTargetGroup", awstest.OK(`<TargetGroups><member><TargetGroupArn>`+tgARN+`</TargetGroupArn><TargetGroupName>berth-production-0123456789</TargetGroupName></member></TargetGroups>`))
	r, err := c.CreateTargetGroup(context.Background(), cloud.TargetGroupSpec{Name: "berth-production-0123456789", Port: 80, Tags: awstest.Tags})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, stub.Only("CreateTargetGroup").Form, map[string]string{
		"Action": "CreateTargetGroup", "Version": "2015-12-01",
		"Name": "berth-production-0123456789", "TargetType": "ip", "Protocol": "HTTP", "Port": "80", "VpcId": "vpc-0abc",
		"HealthCheckEnabled": "true", "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/", "Matcher.HttpCode": "200-399",
		"HealthCheckIntervalSeconds": "15", "HealthCheckTimeoutSeconds": "5", "HealthyThresholdCount": "2", "UnhealthyThresholdCount": "3",
		"Tags.member.1.Key": "berth:application", "Tags.member.1.Value": "my-app",
		"Tags.member.2.Key": "berth:managed", "Tags.member.2.Value": "true",
	})
	if r.ID != tgARN || r.Outputs[cloud.OutARN] != tgARN || r.State != cloud.StateAvailable {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateTargetGroupWithOtherSettingsReadsIt(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateTargetGroup", awstest.AWSErr("DuplicateTargetGroupName", "A target group with the same name 'berth-production-0123456789' exists, but with different settings"))
	stub.On("DescribeTargetGroups", awstest.OK(`<TargetGroups><member><TargetGroupArn>`+tgARN+`</TargetGroupArn></member></TargetGroups>`))
	r, err := c.CreateTargetGroup(context.Background(), cloud.TargetGroupSpec{Name: "berth-production-0123456789", Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.Only("DescribeTargetGroups").Form.Get("Names.member.1"); got != "berth-production-0123456789" || r.ID != tgARN {
		t.Errorf("described %q, resource %+v", got, r)
	}
}

func TestTargetGroupCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindTargetGroup, Name: "berth-production-0123456789", ID: tgARN}
	c, stub := testPart(t)
	stub.On("DescribeTargetGroups", awstest.OK(`<TargetGroups><member><TargetGroupArn>`+tgARN+`</TargetGroupArn></member></TargetGroups>`),
		awstest.AWSErr("TargetGroupNotFound", "One or more target groups not found"))
	if r, err := c.Check(context.Background(), ref); err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("check %+v, %v", r, err)
	}
	if got := stub.All("DescribeTargetGroups")[0].Form.Get("TargetGroupArns.member.1"); got != tgARN {
		t.Errorf("described %q", got)
	}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing target group: %v", err)
	}
	for _, tc := range []struct {
		answer awstest.Reply
		gone   bool
	}{
		{awstest.OK(""), true},
		{awstest.AWSErr("TargetGroupNotFound", "One or more target groups not found"), true},
		{awstest.AWSErr("ResourceInUse", "Target group is currently in use by a listener or a rule"), false},
	} {
		c, stub := testPart(t)
		stub.On("DeleteTargetGroup", tc.answer)
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
		if err != nil || gone != tc.gone {
			t.Errorf("%q: gone %v, error %v", tc.answer.Code, gone, err)
		}
		awstest.CheckForm(t, stub.Only("DeleteTargetGroup").Form, map[string]string{"Action": "DeleteTargetGroup", "Version": "2015-12-01", "TargetGroupArn": tgARN})
	}
}

// rulesXML lists listener rules: the default one, then each given as
// priority, host, action type and target group (or "" for a 403).
func rulesXML(rules ...[4]string) string {
	xml := `<Rules><member><RuleArn>default-rule</RuleArn><Priority>default</Priority><IsDefault>true</IsDefault><Actions><member><Type>fixed-response</Type></member></Actions></member>`
	for i, r := range rules {
		action := `<member><Type>forward</Type><TargetGroupArn>` + r[3] + `</TargetGroupArn></member>`
		if r[2] == "fixed-response" {
			action = `<member><Type>fixed-response</Type><FixedResponseConfig><StatusCode>403</StatusCode></FixedResponseConfig></member>`
		}
		arn := map[int]string{0: ruleARN, 1: denyARN}[i]
		xml += `<member><RuleArn>` + arn + `</RuleArn><Priority>` + r[0] + `</Priority><IsDefault>false</IsDefault>` +
			`<Conditions><member><Field>host-header</Field><HostHeaderConfig><Values><member>` + r[1] + `</member></Values></HostHeaderConfig></member></Conditions>` +
			`<Actions>` + action + `</Actions></member>`
	}
	return xml + `</Rules>`
}

func createdRule(arn string) awstest.Reply {
	return awstest.OK(`<Rules><member><RuleArn>` + arn + `</RuleArn></member></Rules>`)
}

const ruleUID = "0f8fad5b-d9cb-469f-a165-70867728950e"

var ruleSpec = cloud.ListenerRuleSpec{Name: "berth-acme-my-app-production-0123456789", Host: host, TargetGroupARN: tgARN,
	Tags: cloud.Tags{"berth:managed": "true", "berth:application": "my-app", "berth:uid": ruleUID}}

// ruleTags answers DescribeTags: each rule ARN with the berth:uid given.
func ruleTags(arnUID ...string) awstest.Reply {
	xml := `<TagDescriptions>`
	for i := 0; i+1 < len(arnUID); i += 2 {
		xml += `<member><ResourceArn>` + arnUID[i] + `</ResourceArn><Tags><member><Key>berth:managed</Key><Value>true</Value></member>`
		if arnUID[i+1] != "" {
			xml += `<member><Key>berth:uid</Key><Value>` + arnUID[i+1] + `</Value></member>`
		}
		xml += `</Tags></member>`
	}
	return awstest.OK(xml + `</TagDescriptions>`)
}

// TestCreateListenerRuleRequest: a host-header rule forwarding to the
// target group, at the priority the host hashes to.
func TestCreateListenerRuleRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML()))
	stub.On("CreateRule", createdRule(ruleARN))
	r, err := c.CreateListenerRule(context.Background(), ruleSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.Only("DescribeRules").Form.Get("ListenerArn"); got != awstest.Platform.ListenerARN {
		t.Errorf("listed the rules of %q", got)
	}
	awstest.CheckForm(t, stub.Only("CreateRule").Form, map[string]string{
		"Action": "CreateRule", "Version": "2015-12-01", "ListenerArn": awstest.Platform.ListenerARN,
		"Priority":                  strconv.Itoa(hostPriority(host)),
		"Conditions.member.1.Field": "host-header",
		"Conditions.member.1.HostHeaderConfig.Values.member.1": host,
		"Actions.member.1.Type":                                "forward",
		"Actions.member.1.TargetGroupArn":                      tgARN,
		"Tags.member.1.Key":                                    "berth:application", "Tags.member.1.Value": "my-app",
		"Tags.member.2.Key": "berth:managed", "Tags.member.2.Value": "true",
		"Tags.member.3.Key": "berth:uid", "Tags.member.3.Value": ruleUID,
	})
	if r.ID != ruleARN || r.Outputs[cloud.OutHost] != host || r.Outputs[cloud.OutARN] != ruleARN {
		t.Errorf("resource %+v", r)
	}
}

// TestListenerRuleWithOriginHeader: the forwarding rule requires the
// header, and the next priority answers the host's other requests 403.
func TestListenerRuleWithOriginHeader(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML()))
	stub.On("CreateRule", createdRule(ruleARN), createdRule(denyARN))
	spec := ruleSpec
	spec.Tags = nil
	spec.OriginHeader = &cloud.Header{Name: "X-Origin-Verify", Value: "s3cret"}
	r, err := c.CreateListenerRule(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	creates := stub.All("CreateRule")
	if len(creates) != 2 {
		t.Fatalf("%d rules created", len(creates))
	}
	p := hostPriority(host)
	awstest.CheckForm(t, creates[0].Form, map[string]string{
		"Action": "CreateRule", "Version": "2015-12-01", "ListenerArn": awstest.Platform.ListenerARN, "Priority": strconv.Itoa(p),
		"Conditions.member.1.Field": "host-header", "Conditions.member.1.HostHeaderConfig.Values.member.1": host,
		"Conditions.member.2.Field": "http-header", "Conditions.member.2.HttpHeaderConfig.HttpHeaderName": "X-Origin-Verify",
		"Conditions.member.2.HttpHeaderConfig.Values.member.1": "s3cret",
		"Actions.member.1.Type":                                "forward", "Actions.member.1.TargetGroupArn": tgARN,
	})
	awstest.CheckForm(t, creates[1].Form, map[string]string{
		"Action": "CreateRule", "Version": "2015-12-01", "ListenerArn": awstest.Platform.ListenerARN, "Priority": strconv.Itoa(p + 1),
		"Conditions.member.1.Field": "host-header", "Conditions.member.1.HostHeaderConfig.Values.member.1": host,
		"Actions.member.1.Type": "fixed-response", "Actions.member.1.FixedResponseConfig.StatusCode": "403",
		"Actions.member.1.FixedResponseConfig.ContentType": "text/plain", "Actions.member.1.FixedResponseConfig.MessageBody": "Forbidden",
	})
	if r.ID != ruleARN+","+denyARN {
		t.Errorf("ID %q, want both rules", r.ID)
	}
}

// TestListenerRulePriorityProbing: priorities the listing shows taken are
// skipped; one taken since is probed past on PriorityInUse.
func TestListenerRulePriorityProbing(t *testing.T) {
	p := hostPriority(host)
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML([4]string{strconv.Itoa(p), "other.berth.example", "forward", otherTGARN})))
	stub.On("CreateRule", awstest.AWSErr("PriorityInUse", "Priority '"+strconv.Itoa(p+1)+"' is currently in use"), createdRule(ruleARN))
	if _, err := c.CreateListenerRule(context.Background(), ruleSpec); err != nil {
		t.Fatal(err)
	}
	var tried []string
	for _, req := range stub.All("CreateRule") {
		tried = append(tried, req.Form.Get("Priority"))
	}
	if want := []string{strconv.Itoa(p + 1), strconv.Itoa(p + 2)}; !reflect.DeepEqual(tried, want) {
		t.Errorf("tried priorities %v, want %v", tried, want)
	}
}

func TestListenerRulePrioritiesRunOut(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML()))
	stub.On("CreateRule", awstest.AWSErr("PriorityInUse", "Priority is currently in use"))
	_, err := c.CreateListenerRule(context.Background(), ruleSpec)
	if !errors.Is(err, cloud.ErrQuota) || len(stub.All("CreateRule")) != priorityProbeAttempts {
		t.Fatalf("error %v after %d tries", err, len(stub.All("CreateRule")))
	}
}

func TestListenerRuleThatRoutesTheHostIsReused(t *testing.T) {
	t.Run("as it is", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", tgARN})))
		stub.On("DescribeTags", ruleTags(ruleARN, ruleUID))
		r, err := c.CreateListenerRule(context.Background(), ruleSpec)
		if err != nil {
			t.Fatal(err)
		}
		if got := stub.Only("DescribeTags").Form.Get("ResourceArns.member.1"); got != ruleARN {
			t.Errorf("asked for the tags of %q", got)
		}
		if r.ID != ruleARN || !reflect.DeepEqual(stub.Ops(), []string{"DescribeRules", "DescribeTags"}) {
			t.Errorf("ID %q after %v", r.ID, stub.Ops())
		}
	})
	t.Run("pointed at the target group", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", otherTGARN})))
		stub.On("DescribeTags", ruleTags(ruleARN, ruleUID))
		stub.On("ModifyRule", createdRule(ruleARN))
		r, err := c.CreateListenerRule(context.Background(), ruleSpec)
		if err != nil {
			t.Fatal(err)
		}
		awstest.CheckForm(t, stub.Only("ModifyRule").Form, map[string]string{
			"Action": "ModifyRule", "Version": "2015-12-01", "RuleArn": ruleARN,
			"Conditions.member.1.Field": "host-header", "Conditions.member.1.HostHeaderConfig.Values.member.1": host,
			"Actions.member.1.Type": "forward", "Actions.member.1.TargetGroupArn": tgARN,
		})
		if r.ID != ruleARN || len(stub.All("CreateRule")) != 0 {
			t.Errorf("ID %q after %v", r.ID, stub.Ops())
		}
	})
	t.Run("with its 403 rule", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(`<Rules><member><RuleArn>`+ruleARN+`</RuleArn><Priority>7</Priority>`+
			`<Conditions><member><Field>host-header</Field><HostHeaderConfig><Values><member>`+host+`</member></Values></HostHeaderConfig></member>`+
			`<member><Field>http-header</Field><HttpHeaderConfig><HttpHeaderName>X-Origin-Verify</HttpHeaderName><Values><member>s3cret</member></Values></HttpHeaderConfig></member></Conditions>`+
			`<Actions><member><Type>forward</Type><TargetGroupArn>`+tgARN+`</TargetGroupArn></member></Actions></member>`+
			`<member><RuleArn>`+denyARN+`</RuleArn><Priority>8</Priority>`+
			`<Conditions><member><Field>host-header</Field><HostHeaderConfig><Values><member>`+host+`</member></Values></HostHeaderConfig></member></Conditions>`+
			`<Actions><member><Type>fixed-response</Type></member></Actions></member></Rules>`))
		stub.On("DescribeTags", ruleTags(ruleARN, ruleUID, denyARN, ruleUID))
		spec := ruleSpec
		spec.OriginHeader = &cloud.Header{Name: "X-Origin-Verify", Value: "s3cret"}
		r, err := c.CreateListenerRule(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != ruleARN+","+denyARN || !reflect.DeepEqual(stub.Ops(), []string{"DescribeRules", "DescribeTags"}) {
			t.Errorf("ID %q after %v", r.ID, stub.Ops())
		}
	})
	t.Run("adding the 403 rule after it", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", tgARN}, [4]string{"8", "other.berth.example", "forward", otherTGARN})))
		stub.On("DescribeTags", ruleTags(ruleARN, ruleUID))
		stub.On("ModifyRule", createdRule(ruleARN))
		stub.On("CreateRule", createdRule(denyARN))
		spec := ruleSpec
		spec.OriginHeader = &cloud.Header{Name: "X-Origin-Verify", Value: "s3cret"}
		r, err := c.CreateListenerRule(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := stub.Only("ModifyRule").Form.Get("Conditions.member.2.HttpHeaderConfig.Values.member.1"); got != "s3cret" {
			t.Errorf("the forwarding rule was not given the header condition: %q", got)
		}
		deny := stub.Only("CreateRule").Form
		if deny.Get("Priority") != "9" || deny.Get("Actions.member.1.Type") != "fixed-response" {
			t.Errorf("403 rule at %s: %v", deny.Get("Priority"), deny)
		}
		if r.ID != ruleARN+","+denyARN {
			t.Errorf("ID %q", r.ID)
		}
	})
	t.Run("dropping a 403 rule no longer wanted", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", tgARN}, [4]string{"8", host, "fixed-response", ""})))
		stub.On("DescribeTags", ruleTags(ruleARN, ruleUID, denyARN, ruleUID))
		stub.On("DeleteRule", awstest.OK(""))
		r, err := c.CreateListenerRule(context.Background(), ruleSpec)
		if err != nil {
			t.Fatal(err)
		}
		if got := stub.Only("DeleteRule").Form.Get("RuleArn"); got != denyARN || r.ID != ruleARN {
			t.Errorf("deleted %q, ID %q", got, r.ID)
		}
	})
}

// TestListenerRuleOfAnotherEnvironmentIsNeverTakenOver: a rule routing
// the host whose berth:uid is another environment's, or that has none,
// fails the create with cloud.ErrConflict; nothing is modified, deleted
// or created, and the message names no other tenant.
func TestListenerRuleOfAnotherEnvironmentIsNeverTakenOver(t *testing.T) {
	for name, tc := range map[string]struct {
		rules string
		tags  awstest.Reply
	}{
		"forwarding to another target group": {rulesXML([4]string{"7", host, "forward", otherTGARN}), ruleTags(ruleARN, "uid-of-another-tenant")},
		"forwarding to this target group":    {rulesXML([4]string{"7", host, "forward", tgARN}), ruleTags(ruleARN, "uid-of-another-tenant")},
		"untagged, made by hand":             {rulesXML([4]string{"7", host, "forward", otherTGARN}), ruleTags(ruleARN, "")},
		"its 403 rule another's":             {rulesXML([4]string{"7", host, "forward", tgARN}, [4]string{"8", host, "fixed-response", ""}), ruleTags(ruleARN, ruleUID, denyARN, "uid-of-another-tenant")},
	} {
		t.Run(name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeRules", awstest.OK(tc.rules))
			stub.On("DescribeTags", tc.tags)
			_, err := c.CreateListenerRule(context.Background(), ruleSpec)
			if !errors.Is(err, cloud.ErrConflict) {
				t.Fatalf("error %v, want a conflict", err)
			}
			if strings.Contains(err.Error(), "another-tenant") || !strings.Contains(err.Error(), host) {
				t.Errorf("message %q should name the host and nothing of the other tenant", err)
			}
			if ops := stub.Ops(); !reflect.DeepEqual(ops, []string{"DescribeRules", "DescribeTags"}) {
				t.Errorf("calls %v: only reads were allowed", ops)
			}
		})
	}
	t.Run("an earlier life of the same environment is adopted", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", otherTGARN})))
		stub.On("DescribeTags", awstest.OK(`<TagDescriptions><member><ResourceArn>`+ruleARN+`</ResourceArn><Tags>`+
			`<member><Key>berth:organisation</Key><Value>acme</Value></member><member><Key>berth:application</Key><Value>my-app</Value></member>`+
			`<member><Key>berth:environment</Key><Value>production</Value></member><member><Key>berth:uid</Key><Value>an-earlier-uid</Value></member>`+
			`</Tags></member></TagDescriptions>`))
		stub.On("ModifyRule", createdRule(ruleARN))
		spec := ruleSpec
		spec.Tags = cloud.Tags{"berth:managed": "true", "berth:organisation": "acme", "berth:application": "my-app", "berth:environment": "production", "berth:uid": ruleUID}
		if _, err := c.CreateListenerRule(context.Background(), spec); err != nil {
			t.Fatalf("a rule of the same environment was refused: %v", err)
		}
		if got := stub.Only("ModifyRule").Form.Get("Actions.member.1.TargetGroupArn"); got != tgARN {
			t.Errorf("the adopted rule forwards to %q", got)
		}
	})
	t.Run("a spec with no uid owns nothing", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", tgARN})))
		stub.On("DescribeTags", ruleTags(ruleARN, ""))
		spec := ruleSpec
		spec.Tags = awstest.Tags
		if _, err := c.CreateListenerRule(context.Background(), spec); !errors.Is(err, cloud.ErrConflict) {
			t.Fatalf("error %v, want a conflict", err)
		}
	})
}

func TestListenerRuleCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindListenerRule, Name: ruleSpec.Name, ID: ruleARN + "," + denyARN}
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML([4]string{"7", host, "forward", tgARN}, [4]string{"8", host, "fixed-response", ""})),
		awstest.AWSErr("RuleNotFound", "One or more rules not found"))
	stub.On("DeleteRule", awstest.OK(""), awstest.AWSErr("RuleNotFound", "One or more rules not found"))
	r, err := c.Check(context.Background(), ref)
	if err != nil || r.State != cloud.StateAvailable || r.Outputs[cloud.OutHost] != host {
		t.Fatalf("check %+v, %v", r, err)
	}
	form := stub.All("DescribeRules")[0].Form
	if form.Get("RuleArns.member.1") != ruleARN || form.Get("RuleArns.member.2") != denyARN {
		t.Errorf("described %v", form)
	}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of missing rules: %v", err)
	}
	gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
	if err != nil || !gone {
		t.Fatalf("gone %v, error %v", gone, err)
	}
	deletes := stub.All("DeleteRule")
	if len(deletes) != 2 || deletes[0].Form.Get("RuleArn") != ruleARN || deletes[1].Form.Get("RuleArn") != denyARN {
		t.Errorf("deleted %v", deletes)
	}
}

// TestListenerRuleDenyFailureRemovesTheForwardRule: when the 403 rule of
// an origin-protected host cannot be made, the forward rule made just
// before is deleted, since the failed step records neither.
func TestListenerRuleDenyFailureRemovesTheForwardRule(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeRules", awstest.OK(rulesXML()))
	stub.On("CreateRule", createdRule(ruleARN), awstest.AWSErr("TooManyRules", "too many rules"))
	stub.On("DeleteRule", awstest.OK(`<DeleteRuleResponse><DeleteRuleResult/></DeleteRuleResponse>`))
	spec := ruleSpec
	spec.OriginHeader = &cloud.Header{Name: "X-Origin-Verify", Value: "s3cret"}
	if _, err := c.CreateListenerRule(context.Background(), spec); !errors.Is(err, cloud.ErrQuota) {
		t.Fatalf("error %v, want ErrQuota", err)
	}
	deletes := stub.All("DeleteRule")
	if len(deletes) != 1 || deletes[0].Form.Get("RuleArn") != ruleARN {
		t.Fatalf("deleted %v, want the forward rule %s", deletes, ruleARN)
	}
}
