package awsnetwork

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// Target group health check: a path every web server answers, checked
// often enough that a deployment settles in about a minute.
const (
	healthCheckPath       = "/"
	healthCheckMatcher    = "200-399"
	healthCheckInterval   = 15
	healthCheckTimeout    = 5
	healthyThreshold      = 2
	unhealthyThreshold    = 3
	maxListenerPriority   = 50000
	priorityProbeAttempts = 20
)

// CreateTargetGroup creates a target group of IP targets (awsvpc tasks).
// ELBv2 answers a create with the same name and settings with the
// existing group.
func (c *Part) CreateTargetGroup(ctx context.Context, spec cloud.TargetGroupSpec) (cloud.Resource, error) {
	out, err := c.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name:                       aws.String(spec.Name),
		TargetType:                 types.TargetTypeEnumIp,
		Protocol:                   types.ProtocolEnumHttp,
		Port:                       aws.Int32(int32(spec.Port)),
		VpcId:                      aws.String(c.Platform.VPC),
		HealthCheckEnabled:         aws.Bool(true),
		HealthCheckProtocol:        types.ProtocolEnumHttp,
		HealthCheckPath:            aws.String(healthCheckPath),
		Matcher:                    &types.Matcher{HttpCode: aws.String(healthCheckMatcher)},
		HealthCheckIntervalSeconds: aws.Int32(healthCheckInterval),
		HealthCheckTimeoutSeconds:  aws.Int32(healthCheckTimeout),
		HealthyThresholdCount:      aws.Int32(healthyThreshold),
		UnhealthyThresholdCount:    aws.Int32(unhealthyThreshold),
		Tags:                       awscloud.TagList(spec.Tags, elbTag),
	})
	// Same name, other settings: the group an earlier spec made.
	if awscloud.Code(err) == "DuplicateTargetGroupName" {
		return c.checkTargetGroup(ctx, cloud.Ref{Kind: cloud.KindTargetGroup, Name: spec.Name})
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.TargetGroups) == 0 {
		return cloud.Resource{}, fmt.Errorf("elbv2 CreateTargetGroup: no target group in the answer")
	}
	return targetGroupResource(spec.Name, out.TargetGroups[0].TargetGroupArn), nil
}

func targetGroupResource(name string, arn *string) cloud.Resource {
	return cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindTargetGroup, Name: name, ID: aws.ToString(arn)},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: aws.ToString(arn)},
	}
}

func (c *Part) checkTargetGroup(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	in := &elb.DescribeTargetGroupsInput{Names: []string{ref.Name}}
	if ref.ID != "" {
		in = &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{ref.ID}}
	}
	out, err := c.ELB.DescribeTargetGroups(ctx, in)
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.TargetGroups) == 0 {
		return cloud.Resource{}, awscloud.NotFound("elbv2: no target group " + ref.Name)
	}
	return targetGroupResource(ref.Name, out.TargetGroups[0].TargetGroupArn), nil
}

// deleteTargetGroup is not gone while a listener rule or service still uses it.
func (c *Part) deleteTargetGroup(ctx context.Context, ref cloud.Ref) (bool, error) {
	arn := ref.ID
	if arn == "" {
		r, err := c.checkTargetGroup(ctx, ref)
		if errors.Is(err, cloud.ErrNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		arn = r.ID
	}
	_, err := c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
	if err == nil {
		return true, nil
	}
	switch awscloud.Code(err) {
	case "TargetGroupNotFound":
		return true, nil
	case "ResourceInUse":
		return false, nil
	}
	return false, awscloud.Fail(err)
}

// CreateListenerRule routes spec.Host on the platform listener to the
// target group. With an origin header, the forwarding rule also requires
// the header and a second rule, evaluated after it, answers the host's
// other requests with 403. Rules that already route the host are reused
// (and corrected) only when their berth:uid tag is spec's: a rule of
// another environment, or of no environment, is a cloud.ErrConflict and
// is left as it is. New ones take a priority derived from the host,
// probing onwards when it is taken. The Ref's ID lists the rule ARNs,
// comma-separated, forwarding rule first.
func (c *Part) CreateListenerRule(ctx context.Context, spec cloud.ListenerRuleSpec) (cloud.Resource, error) {
	rules, err := c.listenerRules(ctx)
	if err != nil {
		return cloud.Resource{}, err
	}
	used := map[int]bool{}
	var forward, deny *types.Rule
	for i, r := range rules {
		p, err := strconv.Atoi(aws.ToString(r.Priority))
		if err != nil {
			continue // the default rule
		}
		used[p] = true
		if !routesHost(r, spec.Host) || len(r.Actions) == 0 {
			continue
		}
		switch r.Actions[0].Type {
		case types.ActionTypeEnumForward:
			forward = &rules[i]
		case types.ActionTypeEnumFixedResponse:
			deny = &rules[i]
		}
	}
	if err := c.ownRules(ctx, spec, forward, deny); err != nil {
		return cloud.Resource{}, err
	}
	conditions, actions := forwardRule(spec)
	tags := awscloud.TagList(spec.Tags, elbTag)

	var forwardARN string
	var forwardPriority int
	switch {
	case forward == nil:
		hi := maxListenerPriority + 1
		if deny != nil && spec.OriginHeader != nil {
			hi, _ = strconv.Atoi(aws.ToString(deny.Priority))
		}
		forwardARN, forwardPriority, err = c.createRule(ctx, used, hostPriority(spec.Host), 0, hi, conditions, actions, tags)
		if err != nil {
			return cloud.Resource{}, err
		}
	default:
		forwardARN = aws.ToString(forward.RuleArn)
		forwardPriority, _ = strconv.Atoi(aws.ToString(forward.Priority))
		if !sameForward(forward, spec) {
			_, err := c.ELB.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: forward.RuleArn, Conditions: conditions, Actions: actions})
			if err != nil {
				return cloud.Resource{}, awscloud.Fail(err)
			}
		}
	}
	r := cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindListenerRule, Name: spec.Name, ID: forwardARN},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: forwardARN, cloud.OutHost: spec.Host},
	}
	switch {
	case spec.OriginHeader != nil && deny != nil:
		r.ID += "," + aws.ToString(deny.RuleArn)
	case spec.OriginHeader != nil:
		arn, _, err := c.createRule(ctx, used, forwardPriority+1, forwardPriority, maxListenerPriority+1, hostCondition(spec.Host), denyActions(), tags)
		if err != nil {
			if forward == nil {
				// The step records nothing when this fails, so compensation
				// would never find the forward rule made above: remove it.
				if _, derr := c.ELB.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: aws.String(forwardARN)}); derr != nil && awscloud.Code(derr) != "RuleNotFound" {
					return cloud.Resource{}, errors.Join(err, awscloud.Fail(derr))
				}
			}
			return cloud.Resource{}, err
		}
		r.ID += "," + arn
	case deny != nil: // left by a spec that had an origin header
		_, err := c.ELB.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: deny.RuleArn})
		if err != nil && awscloud.Code(err) != "RuleNotFound" {
			return cloud.Resource{}, awscloud.Fail(err)
		}
	}
	return r, nil
}

// ownRules checks that the rules found routing spec.Host belong to spec's
// environment: its berth:uid, or, for a rule an earlier life of the same
// environment left unrecorded, its organisation, application and
// environment tags (two live records never share those). Repointing
// another's rule would hand its traffic to this environment. The error
// names no other tenant.
func (c *Part) ownRules(ctx context.Context, spec cloud.ListenerRuleSpec, rules ...*types.Rule) error {
	var arns []string
	for _, r := range rules {
		if r != nil {
			arns = append(arns, aws.ToString(r.RuleArn))
		}
	}
	if len(arns) == 0 {
		return nil
	}
	out, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		return awscloud.Fail(err)
	}
	tags := map[string]cloud.Tags{}
	for _, d := range out.TagDescriptions {
		t := cloud.Tags{}
		for _, tag := range d.Tags {
			t[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		tags[aws.ToString(d.ResourceArn)] = t
	}
	for _, arn := range arns {
		if !cloud.SameOwner(tags[arn], spec.Tags) {
			return fmt.Errorf("%w: host %s is already routed by a listener rule that belongs to another environment; Berth never takes over another environment's rule", cloud.ErrConflict, spec.Host)
		}
	}
	return nil
}

// createRule creates a rule at the first free priority from start
// within (lo, hi), wrapping round, and returns its ARN and priority.
func (c *Part) createRule(ctx context.Context, used map[int]bool, start, lo, hi int, conditions []types.RuleCondition, actions []types.Action, tags []types.Tag) (string, int, error) {
	if start <= lo || start >= hi {
		start = lo + 1
	}
	p, attempts := start, 0
	for n := 0; n < hi-lo-1 && attempts < priorityProbeAttempts; n++ {
		candidate := p
		if p++; p >= hi {
			p = lo + 1
		}
		if used[candidate] {
			continue
		}
		attempts++
		out, err := c.ELB.CreateRule(ctx, &elb.CreateRuleInput{
			ListenerArn: aws.String(c.Platform.ListenerARN), Priority: aws.Int32(int32(candidate)),
			Conditions: conditions, Actions: actions, Tags: tags,
		})
		if awscloud.Code(err) == "PriorityInUse" {
			used[candidate] = true // taken since we listed the rules
			continue
		}
		if err != nil {
			return "", 0, awscloud.Fail(err)
		}
		if len(out.Rules) == 0 {
			return "", 0, fmt.Errorf("elbv2 CreateRule: no rule in the answer")
		}
		used[candidate] = true
		return aws.ToString(out.Rules[0].RuleArn), candidate, nil
	}
	return "", 0, fmt.Errorf("%w: elbv2: no free listener rule priority between %d and %d", cloud.ErrQuota, lo, hi)
}

// hostPriority spreads hosts over the priorities, leaving room above for
// the 403 rule.
func hostPriority(host string) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(host)))
	return int(h.Sum32()%(maxListenerPriority-100)) + 1
}

// listenerRules lists every rule on the platform listener.
func (c *Part) listenerRules(ctx context.Context) ([]types.Rule, error) {
	var rules []types.Rule
	in := &elb.DescribeRulesInput{ListenerArn: aws.String(c.Platform.ListenerARN)}
	for {
		out, err := c.ELB.DescribeRules(ctx, in)
		if err != nil {
			return nil, awscloud.Fail(err)
		}
		rules = append(rules, out.Rules...)
		if aws.ToString(out.NextMarker) == "" {
			return rules, nil
		}
		in.Marker = out.NextMarker
	}
}

func hostCondition(host string) []types.RuleCondition {
	return []types.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{host}}}}
}

func forwardRule(spec cloud.ListenerRuleSpec) ([]types.RuleCondition, []types.Action) {
	conditions := hostCondition(spec.Host)
	if h := spec.OriginHeader; h != nil {
		conditions = append(conditions, types.RuleCondition{
			Field:            aws.String("http-header"),
			HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String(h.Name), Values: []string{h.Value}},
		})
	}
	return conditions, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(spec.TargetGroupARN)}}
}

func denyActions() []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
		StatusCode: aws.String("403"), ContentType: aws.String("text/plain"), MessageBody: aws.String("Forbidden"),
	}}}
}

func routesHost(r types.Rule, host string) bool {
	for _, cond := range r.Conditions {
		if aws.ToString(cond.Field) != "host-header" {
			continue
		}
		values := cond.Values
		if cond.HostHeaderConfig != nil {
			values = append(values, cond.HostHeaderConfig.Values...)
		}
		for _, v := range values {
			if strings.EqualFold(v, host) {
				return true
			}
		}
	}
	return false
}

// sameForward: the rule forwards to spec's target group and asks for
// spec's origin header, if any, and no other.
func sameForward(r *types.Rule, spec cloud.ListenerRuleSpec) bool {
	a := r.Actions[0]
	target := aws.ToString(a.TargetGroupArn)
	if target == "" && a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 {
		target = aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
	}
	if len(r.Actions) != 1 || target != spec.TargetGroupARN {
		return false
	}
	var header *cloud.Header
	for _, cond := range r.Conditions {
		switch aws.ToString(cond.Field) {
		case "host-header":
		case "http-header":
			if cond.HttpHeaderConfig == nil || len(cond.HttpHeaderConfig.Values) != 1 || header != nil {
				return false
			}
			header = &cloud.Header{Name: aws.ToString(cond.HttpHeaderConfig.HttpHeaderName), Value: cond.HttpHeaderConfig.Values[0]}
		default:
			return false
		}
	}
	if header == nil || spec.OriginHeader == nil {
		return header == nil && spec.OriginHeader == nil
	}
	return strings.EqualFold(header.Name, spec.OriginHeader.Name) && header.Value == spec.OriginHeader.Value
}

func (c *Part) checkListenerRule(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	arns := ruleARNs(ref)
	if len(arns) == 0 {
		return cloud.Resource{}, awscloud.NotFound("elbv2: listener rule " + ref.Name + " has no ARN")
	}
	out, err := c.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: arns})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	r := cloud.Resource{Ref: ref, State: cloud.StateAvailable, Outputs: map[string]string{cloud.OutARN: arns[0]}}
	missing := map[string]bool{}
	for _, a := range arns {
		missing[a] = true
	}
	for _, rule := range out.Rules {
		arn := aws.ToString(rule.RuleArn)
		delete(missing, arn)
		if arn != arns[0] {
			continue
		}
		for _, cond := range rule.Conditions {
			if cond.HostHeaderConfig != nil && len(cond.HostHeaderConfig.Values) > 0 {
				r.Outputs[cloud.OutHost] = cond.HostHeaderConfig.Values[0]
			}
		}
	}
	if len(missing) > 0 {
		return cloud.Resource{}, awscloud.NotFound("elbv2: listener rules " + ref.ID + " are not all there")
	}
	return r, nil
}

// deleteListenerRule deletes every rule the Ref lists. Without ARNs
// nothing was created.
func (c *Part) deleteListenerRule(ctx context.Context, ref cloud.Ref) (bool, error) {
	for _, arn := range ruleARNs(ref) {
		_, err := c.ELB.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: aws.String(arn)})
		if err != nil && awscloud.Code(err) != "RuleNotFound" {
			return false, awscloud.Fail(err)
		}
	}
	return true, nil
}

func ruleARNs(ref cloud.Ref) []string {
	var arns []string
	for _, a := range strings.Split(ref.ID, ",") {
		if a = strings.TrimSpace(a); a != "" {
			arns = append(arns, a)
		}
	}
	return arns
}

func elbTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
