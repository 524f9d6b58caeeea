package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// provisioningItem is what workflows write on a record. Resources, outputs
// and steps are maps, so that parallel workflow branches update their own
// entries with SET on a path and never overwrite each other.
type provisioningItem struct {
	Progress  *progressItem      `dynamodbav:"progress,omitempty"`
	Reason    string             `dynamodbav:"reason,omitempty"`
	Resources map[string]refItem `dynamodbav:"resources"`
	Outputs   map[string]string  `dynamodbav:"outputs"`
}

type progressItem struct {
	Operation  string     `dynamodbav:"operation"`
	Execution  string     `dynamodbav:"execution"`
	State      string     `dynamodbav:"state"`
	StartedAt  time.Time  `dynamodbav:"startedAt"`
	FinishedAt *time.Time `dynamodbav:"finishedAt,omitempty"`
	// HeartbeatAt is absent until the run's first step beats.
	HeartbeatAt *time.Time          `dynamodbav:"heartbeatAt,omitempty"`
	Steps       map[string]stepItem `dynamodbav:"steps"`
}

type stepItem struct {
	Order      int        `dynamodbav:"order"`
	State      string     `dynamodbav:"state"`
	Detail     string     `dynamodbav:"detail,omitempty"`
	StartedAt  *time.Time `dynamodbav:"startedAt,omitempty"`
	FinishedAt *time.Time `dynamodbav:"finishedAt,omitempty"`
}

type refItem struct {
	Kind string `dynamodbav:"kind"`
	Name string `dynamodbav:"name"`
	ID   string `dynamodbav:"id,omitempty"`
}

// refKey is a resource's key in the resources map.
func refKey(r cloud.Ref) string { return string(r.Kind) + "#" + r.Name }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toProvisioningItem(p apps.Provisioning) provisioningItem {
	it := provisioningItem{Reason: p.Reason, Resources: map[string]refItem{}, Outputs: map[string]string{}}
	for _, r := range p.Resources {
		it.Resources[refKey(r)] = refItem{string(r.Kind), r.Name, r.ID}
	}
	for k, v := range p.Outputs {
		it.Outputs[k] = v
	}
	if p.Progress != nil {
		it.Progress = toProgressItem(*p.Progress)
	}
	return it
}

func toProgressItem(p apps.Progress) *progressItem {
	it := &progressItem{Operation: string(p.Operation), Execution: p.Execution, State: string(p.State),
		StartedAt: p.StartedAt, FinishedAt: timePtr(p.FinishedAt), HeartbeatAt: timePtr(p.HeartbeatAt), Steps: map[string]stepItem{}}
	for i, s := range p.Steps {
		it.Steps[s.Name] = stepItem{Order: i, State: string(s.State), Detail: s.Detail,
			StartedAt: timePtr(s.StartedAt), FinishedAt: timePtr(s.FinishedAt)}
	}
	return it
}

func (it provisioningItem) record() apps.Provisioning {
	p := apps.Provisioning{Reason: it.Reason, Outputs: it.Outputs}
	for _, r := range it.Resources {
		p.Resources = append(p.Resources, cloud.Ref{Kind: cloud.Kind(r.Kind), Name: r.Name, ID: r.ID})
	}
	sort.Slice(p.Resources, func(i, j int) bool { return refKey(p.Resources[i]) < refKey(p.Resources[j]) })
	if g := it.Progress; g != nil {
		pr := &apps.Progress{Operation: apps.Workflow(g.Operation), Execution: g.Execution, State: apps.StepState(g.State), StartedAt: g.StartedAt}
		if g.FinishedAt != nil {
			pr.FinishedAt = *g.FinishedAt
		}
		if g.HeartbeatAt != nil {
			pr.HeartbeatAt = *g.HeartbeatAt
		}
		for name, s := range g.Steps {
			sp := apps.StepProgress{Name: name, Order: s.Order, State: apps.StepState(s.State), Detail: s.Detail}
			if s.StartedAt != nil {
				sp.StartedAt = *s.StartedAt
			}
			if s.FinishedAt != nil {
				sp.FinishedAt = *s.FinishedAt
			}
			pr.Steps = append(pr.Steps, sp)
		}
		sort.Slice(pr.Steps, func(i, j int) bool { return pr.Steps[i].Order < pr.Steps[j].Order })
		p.Progress = pr
	}
	return p
}

// update builds an UpdateExpression with numbered placeholders.
type update struct {
	set, remove []string
	names       map[string]string
	values      map[string]types.AttributeValue
	err         error
}

func (u *update) name(n string) string {
	k := "#n" + strconv.Itoa(len(u.names))
	u.names[k] = n
	return k
}

func (u *update) value(v any) string {
	av, err := attributevalue.Marshal(v)
	if err != nil && u.err == nil {
		u.err = err
	}
	k := ":v" + strconv.Itoa(len(u.values))
	u.values[k] = av
	return k
}

func (u *update) expression() string {
	expr := ""
	if len(u.set) > 0 {
		expr = "SET " + join(u.set)
	}
	if len(u.remove) > 0 {
		expr += " REMOVE " + join(u.remove)
	}
	return expr
}

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}

func targetKey(t apps.Target) map[string]types.AttributeValue {
	if t.Environment != "" {
		return key(applicationPK(t.Organisation, t.Application), environmentSK(t.Environment))
	}
	return key(applicationPK(t.Organisation, t.Application), applicationSK)
}

// Apply writes a workflow step's change in one UpdateItem, conditional on
// the record's uid.
func (t *Table) Apply(ctx context.Context, target apps.Target, c apps.Change) error {
	u := &update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
	if c.Progress != nil {
		u.set = append(u.set, u.name("progress")+" = "+u.value(toProgressItem(*c.Progress)))
	}
	if s := c.Step; s != nil {
		path := u.name("progress") + "." + u.name("steps") + "." + u.name(s.Name)
		u.set = append(u.set, path+"."+u.name("state")+" = "+u.value(string(s.State)))
		if !s.StartedAt.IsZero() {
			u.set = append(u.set, path+".startedAt = "+u.value(s.StartedAt))
		}
		if !s.FinishedAt.IsZero() {
			u.set = append(u.set, path+".finishedAt = "+u.value(s.FinishedAt))
		}
		if s.Detail != "" {
			u.set = append(u.set, path+".detail = "+u.value(s.Detail))
		} else {
			u.remove = append(u.remove, path+".detail")
		}
	}
	if o := c.Operation; o != nil {
		u.set = append(u.set, u.name("progress")+"."+u.name("state")+" = "+u.value(string(o.State)))
		if !o.FinishedAt.IsZero() {
			u.set = append(u.set, u.name("progress")+".finishedAt = "+u.value(o.FinishedAt))
		}
	}
	for _, r := range c.Add {
		u.set = append(u.set, u.name("resources")+"."+u.name(refKey(r))+" = "+u.value(refItem{string(r.Kind), r.Name, r.ID}))
	}
	for _, r := range c.Remove {
		u.remove = append(u.remove, u.name("resources")+"."+u.name(refKey(r)))
	}
	if len(c.Outputs) > 0 {
		outputs := u.name("outputs")
		keys := make([]string, 0, len(c.Outputs))
		for k := range c.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			u.set = append(u.set, outputs+"."+u.name(k)+" = "+u.value(c.Outputs[k]))
		}
	}
	if c.Status != "" {
		u.set = append(u.set, u.name("status")+" = "+u.value(string(c.Status)))
	}
	if c.Status != "" || len(c.Add) > 0 {
		// A record that moves on, or gains a resource, stops expiring;
		// expireFailed below gives a FAILED one its TTL again if it may.
		u.remove = append(u.remove, u.name(ttlAttribute))
	}
	if c.Reason != nil {
		if *c.Reason == "" {
			u.remove = append(u.remove, u.name("reason"))
		} else {
			u.set = append(u.set, u.name("reason")+" = "+u.value(*c.Reason))
		}
	}
	if d := c.Deployment; d != nil {
		deployments := u.name("deployments")
		entry := []deploymentItem{{d.DeploymentID, d.Environment, d.TaskDefinitionARN, d.CreatedAt, d.Status, d.ImageTag}}
		u.set = append(u.set, deployments+" = list_append(if_not_exists("+deployments+", "+u.value([]deploymentItem{})+"), "+u.value(entry)+")")
	}
	now := c.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	u.set = append(u.set, "updatedAt = "+u.value(now), "version = version + "+u.value(1))
	condition := "uid = " + u.value(target.UID)
	if c.IfStatus != "" {
		condition += " AND " + u.name("status") + " = " + u.value(string(c.IfStatus))
	}
	if c.Heartbeat != "" {
		progress := u.name("progress")
		u.set = append(u.set, progress+"."+u.name("heartbeatAt")+" = "+u.value(now))
		condition += " AND " + progress + "." + u.name("execution") + " = " + u.value(c.Heartbeat) +
			" AND " + progress + "." + u.name("state") + " = " + u.value(string(apps.StepRunning))
	}
	if hb := c.IfHeartbeat; hb != nil {
		progress := u.name("progress")
		beat := progress + "." + u.name("heartbeatAt")
		condition += " AND " + progress + "." + u.name("execution") + " = " + u.value(hb.Execution)
		if hb.At.IsZero() {
			condition += " AND attribute_not_exists(" + beat + ")"
		} else {
			condition += " AND " + beat + " = " + u.value(hb.At)
		}
	}
	if u.err != nil {
		return fmt.Errorf("apply change: %w", u.err)
	}
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       targetKey(target),
		UpdateExpression:          aws.String(u.expression()),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
		// The old item says which condition failed, for the reason.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return apps.Conflict("%s", staleReason(target, c, failed.Item))
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", describe(target), err)
	}
	if c.Status == apps.StatusFailed {
		return t.expireFailed(ctx, target, now)
	}
	return nil
}

// expireFailed gives a FAILED record FailedRetention to live when its
// create failed and was compensated: no resources are left, so there is
// nothing to delete, and the client may send the create again meanwhile
// (the record is replaceable) or DELETE it. Only creates: a failed
// teardown may leave release and deployment history, which its DELETE
// removes. A record with resources never gets a TTL, nor does a FAILED
// teardown; each condition below is checked by DynamoDB, so a resource
// recorded meanwhile wins.
//
// An environment created on its own (provision-environment) expires
// alone. An application expires with every one of its environments, in
// one transaction, and only if each is FAILED without resources too, so
// that no environment outlives its application; CreateEnvironment
// refuses an application with a TTL.
func (t *Table) expireFailed(ctx context.Context, target apps.Target, now time.Time) error {
	const failedCreate = "#status = :failed AND (attribute_not_exists(#resources) OR size(#resources) = :zero)"
	names := map[string]string{"#status": "status", "#resources": "resources", "#ttl": ttlAttribute}
	// The record's own condition also names the workflow that failed.
	opNames := map[string]string{"#progress": "progress", "#operation": "operation"}
	for k, v := range names {
		opNames[k] = v
	}
	values := func(uid string, extra map[string]types.AttributeValue) map[string]types.AttributeValue {
		v := map[string]types.AttributeValue{
			":uid": str(uid), ":failed": str(string(apps.StatusFailed)), ":zero": num(0),
			":ttl": num(now.Add(FailedRetention).Unix()),
		}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	if target.Environment != "" {
		_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(t.Name),
			Key:                       targetKey(target),
			UpdateExpression:          aws.String("SET #ttl = :ttl"),
			ConditionExpression:       aws.String("uid = :uid AND " + failedCreate + " AND #progress.#operation = :op"),
			ExpressionAttributeNames:  opNames,
			ExpressionAttributeValues: values(target.UID, map[string]types.AttributeValue{":op": str(string(apps.ProvisionEnvironment))}),
		})
		if err != nil && !checkFailed(err) {
			return fmt.Errorf("expire failed %s: %w", describe(target), err)
		}
		return nil
	}
	_, envs, err := t.GetApplication(ctx, target.Organisation, target.Application)
	if errors.Is(err, apps.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire failed %s: %w", describe(target), err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 aws.String(t.Name),
		Key:                       targetKey(target),
		UpdateExpression:          aws.String("SET #ttl = :ttl"),
		ConditionExpression:       aws.String("uid = :uid AND " + failedCreate + " AND #progress.#operation = :op"),
		ExpressionAttributeNames:  opNames,
		ExpressionAttributeValues: values(target.UID, map[string]types.AttributeValue{":op": str(string(apps.ProvisionApplication))}),
	}}}
	for _, e := range envs {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(t.Name),
			Key:                       key(applicationPK(e.Organisation, e.Application), environmentSK(e.Name)),
			UpdateExpression:          aws.String("SET #ttl = :ttl"),
			ConditionExpression:       aws.String("uid = :uid AND " + failedCreate),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values(e.UID, nil),
		}})
	}
	// Not t.transact: the TTL is housekeeping, not the request's change.
	_, err = t.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return nil // something is not FAILED without resources, or changed meanwhile: the records stay
	}
	if err != nil {
		return fmt.Errorf("expire failed %s: %w", describe(target), err)
	}
	return nil
}

// staleReason says, in a user's words, why a workflow's write was refused:
// the record went or was replaced, or its status moved on. Uids stay out:
// users never see them.
func staleReason(target apps.Target, c apps.Change, old map[string]types.AttributeValue) string {
	uid, _ := old["uid"].(*types.AttributeValueMemberS)
	if uid == nil || uid.Value != target.UID {
		return describe(target) + " was deleted or created again since this workflow started; the workflow leaves it alone"
	}
	status, _ := old["status"].(*types.AttributeValueMemberS)
	now := "without a status"
	if status != nil {
		now = status.Value
	}
	if (c.Heartbeat != "" || c.IfHeartbeat != nil) && (c.IfStatus == "" || now == string(c.IfStatus)) {
		// Only the progress condition is left to have failed.
		return fmt.Sprintf("the progress of %s is no longer the run this workflow read; the workflow leaves it alone", describe(target))
	}
	return fmt.Sprintf("%s is %s where this workflow expected %s; the workflow leaves it alone", describe(target), now, c.IfStatus)
}

func describe(t apps.Target) string {
	if t.Environment != "" {
		return fmt.Sprintf("environment %q of application %q", t.Environment, t.Application)
	}
	return fmt.Sprintf("application %q", t.Application)
}

// RemoveRecords deletes the target's record, and for an application every
// environment record with it, in one transaction conditional on the uid.
// The environments' release and deployment history goes first.
func (t *Table) RemoveRecords(ctx context.Context, target apps.Target) error {
	uidCond := func(k map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(t.Name), Key: k,
			ConditionExpression:                 aws.String("uid = :uid"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":uid": str(target.UID)},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}
	}
	items := []types.TransactWriteItem{uidCond(targetKey(target))}
	if target.Environment != "" {
		env := apps.Environment{Organisation: target.Organisation, Application: target.Application, Name: target.Environment, UID: target.UID}
		if err := t.removeHistory(ctx, env); err != nil {
			return err
		}
	} else {
		_, envs, err := t.GetApplication(ctx, target.Organisation, target.Application)
		if errors.Is(err, apps.ErrNotFound) {
			return nil // removed by an earlier attempt
		}
		if err != nil {
			return err
		}
		for _, e := range envs {
			if err := t.removeHistory(ctx, e); err != nil {
				return err
			}
		}
		for _, e := range envs {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(t.Name), Key: key(applicationPK(e.Organisation, e.Application), environmentSK(e.Name)),
			}})
		}
	}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if conditionFailed(reasons, 0) && reasons[0].Item == nil {
		return nil // removed by an earlier attempt
	}
	if conditionFailed(reasons, 0) {
		return apps.Conflict("%s", staleReason(target, apps.Change{}, reasons[0].Item))
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", describe(target), err)
	}
	return nil
}
