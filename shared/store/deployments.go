package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/deploy"
)

// Releases and deployments live in a partition of their own per
// environment, keyed by its uid, so that reading an application never
// reads them and a re-created environment starts with none:
//
//	item        pk                                     sk
//	release     ORG#<org>#APP#<app>#ENV#<env>#<uid>    REL#<00000000n>
//	deployment  ORG#<org>#APP#<app>#ENV#<env>#<uid>    DEP#<00000000n>
//
// Numbers are zero-padded so that the sort key orders them.
const (
	releasePrefix    = "REL#"
	deploymentPrefix = "DEP#"
)

func historyPK(e apps.Environment) string {
	return applicationPK(e.Organisation, e.Application) + "#ENV#" + e.Name + "#" + e.UID
}

func numberSK(prefix string, n int) string { return fmt.Sprintf("%s%09d", prefix, n) }

type releaseItem struct {
	PK                string         `dynamodbav:"pk"`
	SK                string         `dynamodbav:"sk"`
	Kind              string         `dynamodbav:"kind"`
	Number            int            `dynamodbav:"number"`
	Compose           string         `dynamodbav:"compose"`
	Digest            string         `dynamodbav:"digest"`
	Images            []string       `dynamodbav:"images"`
	Cause             string         `dynamodbav:"cause"`
	CreatedBy         string         `dynamodbav:"createdBy,omitempty"`
	CreatedAt         time.Time      `dynamodbav:"createdAt"`
	TaskDefinitionARN string         `dynamodbav:"taskDefinitionArn,omitempty"`
	Variables         []variableItem `dynamodbav:"variables,omitempty"`
	Secrets           []secretItem   `dynamodbav:"secrets,omitempty"`
}

type deploymentRecordItem struct {
	PK              string    `dynamodbav:"pk"`
	SK              string    `dynamodbav:"sk"`
	Kind            string    `dynamodbav:"kind"`
	Number          int       `dynamodbav:"number"`
	Action          string    `dynamodbav:"action"`
	Release         int       `dynamodbav:"release"`
	PreviousRelease int       `dynamodbav:"previousRelease"`
	DesiredCount    int       `dynamodbav:"desiredCount"`
	Status          string    `dynamodbav:"status"`
	FailureType     string    `dynamodbav:"failureType,omitempty"`
	FailureReason   string    `dynamodbav:"failureReason,omitempty"`
	LogLines        []string  `dynamodbav:"logLines,omitempty"`
	LogGroup        string    `dynamodbav:"logGroup,omitempty"`
	LogStream       string    `dynamodbav:"logStream,omitempty"`
	RolledBack      bool      `dynamodbav:"rolledBack,omitempty"`
	CancelRequested bool      `dynamodbav:"cancelRequested,omitempty"`
	Execution       string    `dynamodbav:"execution"`
	CreatedBy       string    `dynamodbav:"createdBy,omitempty"`
	CreatedAt       time.Time `dynamodbav:"createdAt"`
	FinishedAt      time.Time `dynamodbav:"finishedAt,omitempty"`
}

func toReleaseItem(e apps.Environment, r deploy.Release) (releaseItem, error) {
	doc, err := json.Marshal(r.Compose)
	if err != nil {
		return releaseItem{}, fmt.Errorf("encode compose definition: %w", err)
	}
	return releaseItem{PK: historyPK(e), SK: numberSK(releasePrefix, r.Number), Kind: "release", Number: r.Number,
		Compose: string(doc), Digest: r.Digest, Images: r.Images, Cause: r.Cause, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, TaskDefinitionARN: r.TaskDefinitionARN,
		Variables: toVariableItems(r.Variables), Secrets: toSecretItems(r.Secrets)}, nil
}

func (it releaseItem) record() (deploy.Release, error) {
	r := deploy.Release{Number: it.Number, Digest: it.Digest, Images: it.Images, Cause: it.Cause, CreatedBy: it.CreatedBy,
		CreatedAt: it.CreatedAt, TaskDefinitionARN: it.TaskDefinitionARN,
		Variables: variableRecords(it.Variables), Secrets: secretRecords(it.Secrets)}
	if err := decodeCompose(it.Compose, &r.Compose); err != nil {
		return deploy.Release{}, fmt.Errorf("release %d: %w", it.Number, err)
	}
	return r, nil
}

func toDeploymentItem(e apps.Environment, d deploy.Deployment) deploymentRecordItem {
	return deploymentRecordItem{PK: historyPK(e), SK: numberSK(deploymentPrefix, d.Number), Kind: "deployment", Number: d.Number,
		Action: string(d.Action), Release: d.Release, PreviousRelease: d.PreviousRelease, DesiredCount: d.DesiredCount,
		Status: string(d.Status), FailureType: d.FailureType, FailureReason: d.FailureReason, LogLines: d.LogLines,
		LogGroup: d.LogGroup, LogStream: d.LogStream, RolledBack: d.RolledBack, CancelRequested: d.CancelRequested, Execution: d.Execution, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt}
}

func (it deploymentRecordItem) record() deploy.Deployment {
	return deploy.Deployment{Number: it.Number, Action: deploy.Action(it.Action), Release: it.Release, PreviousRelease: it.PreviousRelease,
		DesiredCount: it.DesiredCount, Status: deploy.Status(it.Status), FailureType: it.FailureType, FailureReason: it.FailureReason,
		LogLines: it.LogLines, LogGroup: it.LogGroup, LogStream: it.LogStream, RolledBack: it.RolledBack, CancelRequested: it.CancelRequested, Execution: it.Execution, CreatedBy: it.CreatedBy,
		CreatedAt: it.CreatedAt, FinishedAt: it.FinishedAt}
}

// notDeploying holds for an environment item with no deployment running
// (items from before deployments have no deploying attribute).
const notDeploying = "(attribute_not_exists(deploying) OR deploying = :zero)"

// StartDeployment implements deploy.Store.
func (t *Table) StartDeployment(ctx context.Context, env apps.Environment, releases []deploy.Release, dep deploy.Deployment, ifVersion *int64, refs ...cloud.Ref) error {
	values := map[string]types.AttributeValue{
		":uid": str(env.UID), ":active": str(string(apps.StatusActive)), ":zero": num(int64(0)),
		":n": num(int64(dep.Number)), ":one": num(int64(1)), ":now": timeAV(dep.CreatedAt), ":inprogress": str(string(deploy.StatusInProgress)),
	}
	// Two changes that read the same environment race for the same
	// deployment number, whose item's put fails for the loser; If-Match
	// adds the version.
	condition := "uid = :uid AND #status = :active AND " + notDeploying
	if ifVersion != nil {
		condition += " AND version = :v"
		values[":v"] = num(*ifVersion)
	}
	set := "deploying = :n, lastDeployment = :n, version = version + :one, updatedAt = :now, deploymentStatus = :inprogress"
	if len(releases) > 0 {
		set += ", lastRelease = :lr"
		values[":lr"] = num(int64(releases[len(releases)-1].Number))
	}
	names := map[string]string{"#status": "status"}
	// A secret written for this change is recorded with the environment's
	// resources in the same write, so teardown deletes it even if the
	// release never serves.
	for i, ref := range refs {
		k, v := fmt.Sprintf("#ref%d", i), fmt.Sprintf(":ref%d", i)
		av, err := attributevalue.Marshal(refItem{string(ref.Kind), ref.Name, ref.ID})
		if err != nil {
			return fmt.Errorf("marshal resource: %w", err)
		}
		names[k], values[v] = refKey(ref), av
		set += ", resources." + k + " = " + v
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 aws.String(t.Name),
		Key:                       key(applicationPK(env.Organisation, env.Application), environmentSK(env.Name)),
		ConditionExpression:       aws.String(condition),
		UpdateExpression:          aws.String("SET " + set),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}}
	for _, r := range releases {
		it, err := toReleaseItem(env, r)
		if err != nil {
			return err
		}
		p, err := put(it, "attribute_not_exists(pk)")
		if err != nil {
			return err
		}
		items = append(items, p)
	}
	p, err := put(toDeploymentItem(env, dep), "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	items = append(items, p)
	for i := range items {
		if items[i].Put != nil {
			items[i].Put.TableName = aws.String(t.Name)
		}
	}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	if conditionFailed(reasons, len(items)-1) && !conditionFailed(reasons, 0) {
		return apps.Conflict("another change to environment %q started deployment %d at the same time; read it again", env.Name, dep.Number)
	}
	if !conditionFailed(reasons, 0) {
		return fmt.Errorf("start deployment %d of %q: %w", dep.Number, env.Name, err)
	}
	// Someone changed the environment since it was read: say who won.
	now, getErr := t.GetEnvironment(ctx, env.Organisation, env.Application, env.Name)
	switch {
	case getErr != nil:
		return getErr
	case now.UID != env.UID:
		return apps.Conflict("environment %q was replaced while the change was made; read it again", env.Name)
	case now.Deploying != 0:
		return apps.Conflict("environment %q is running deployment %d; wait for it to finish (GET its deployments)", env.Name, now.Deploying)
	case now.Status != apps.StatusActive:
		return apps.Conflict("environment %q is %s; only an ACTIVE environment can be changed", env.Name, now.Status)
	case ifVersion != nil:
		return apps.PreconditionFailed("environment %q has changed since version %d (it is at %d); read it again", env.Name, *ifVersion, now.Version)
	default:
		return apps.Conflict("environment %q changed while the change was made; read it again", env.Name)
	}
}

// timeAV is a time as attributevalue stores time.Time fields.
func timeAV(at time.Time) types.AttributeValue {
	return str(at.UTC().Format(time.RFC3339Nano))
}

// AbandonDeployment implements deploy.Store.
func (t *Table) AbandonDeployment(ctx context.Context, env apps.Environment, dep deploy.Deployment, reason string, now time.Time) error {
	dep.Status, dep.FailureType, dep.FailureReason, dep.FinishedAt = deploy.StatusFailed, "WorkflowFailed", reason, now
	return t.FinishDeployment(ctx, env, dep, nil)
}

// FinishDeployment records how a deployment ended and frees the
// environment. On success, serving is the release now serving, and the
// environment takes its definition and the deployment's task count. It
// is safe to repeat: a deployment already finished is left as it is.
func (t *Table) FinishDeployment(ctx context.Context, env apps.Environment, dep deploy.Deployment, serving *deploy.Release) error {
	values := map[string]types.AttributeValue{
		":uid": str(env.UID), ":n": num(int64(dep.Number)), ":zero": num(int64(0)), ":now": timeAV(dep.FinishedAt),
		":one": num(1), ":ds": str(map[bool]string{true: "COMPLETED", false: "FAILED"}[dep.Status == deploy.StatusSucceeded]),
	}
	set := []string{"deploying = :zero", "updatedAt = :now", "deploymentStatus = :ds", "version = version + :one"}
	var remove []string
	if dep.Status == deploy.StatusSucceeded && serving != nil {
		doc, err := json.Marshal(serving.Compose)
		if err != nil {
			return fmt.Errorf("encode compose definition: %w", err)
		}
		values[":rel"], values[":compose"], values[":desired"] = num(int64(serving.Number)), str(string(doc)), num(int64(dep.DesiredCount))
		set = append(set, "#release = :rel", "compose = :compose", "desiredCount = :desired")
		// The environment shows the configuration its serving release runs.
		vars, err := attributevalue.Marshal(toVariableItems(serving.Variables))
		if err != nil {
			return fmt.Errorf("marshal variables: %w", err)
		}
		secrets, err := attributevalue.Marshal(toSecretItems(serving.Secrets))
		if err != nil {
			return fmt.Errorf("marshal secrets: %w", err)
		}
		values[":vars"], values[":secrets"] = vars, secrets
		set = append(set, "variables = :vars", "secrets = :secrets")
		if c := serving.Compose; c.MinCapacity != nil && c.MaxCapacity != nil {
			values[":min"], values[":max"] = num(int64(*c.MinCapacity)), num(int64(*c.MaxCapacity))
			set = append(set, "minCapacity = :min", "maxCapacity = :max")
		}
		switch dep.Action {
		case deploy.ActionStop:
			values[":stopped"], values[":was"] = &types.AttributeValueMemberBOOL{Value: true}, num(int64(env.DesiredCount))
			set = append(set, "stopped = :stopped", "stoppedCount = :was")
		case deploy.ActionStart:
			remove = append(remove, "stopped", "stoppedCount")
		}
		remove = append(remove, "failureType", "failureReason")
	} else {
		values[":ft"], values[":fr"] = str(dep.FailureType), str(dep.FailureReason)
		set = append(set, "failureType = :ft", "failureReason = :fr")
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	// The deployment's outcome is an update, not a put, so that a cancel
	// asked for meanwhile stays on the record.
	lines, err := attributevalue.Marshal(dep.LogLines)
	if err != nil {
		return fmt.Errorf("marshal log lines: %w", err)
	}
	if len(dep.LogLines) == 0 {
		lines = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 aws.String(t.Name),
			Key:                       key(applicationPK(env.Organisation, env.Application), environmentSK(env.Name)),
			ConditionExpression:       aws.String("uid = :uid AND deploying = :n"),
			UpdateExpression:          aws.String(expr),
			ExpressionAttributeNames:  map[string]string{"#release": "release"},
			ExpressionAttributeValues: values,
		}},
		{Update: &types.Update{
			TableName:           aws.String(t.Name),
			Key:                 key(historyPK(env), numberSK(deploymentPrefix, dep.Number)),
			ConditionExpression: aws.String("#status = :inprogress"),
			UpdateExpression: aws.String("SET #status = :status, failureType = :ft, failureReason = :fr, logLines = :lines, " +
				"rolledBack = :rb, finishedAt = :at"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":inprogress": str(string(deploy.StatusInProgress)),
				":status": str(string(dep.Status)), ":ft": str(dep.FailureType), ":fr": str(dep.FailureReason), ":lines": lines,
				":rb": &types.AttributeValueMemberBOOL{Value: dep.RolledBack}, ":at": timeAV(dep.FinishedAt)},
		}},
	}
	if _, ok := values[":rel"]; !ok {
		items[0].Update.ExpressionAttributeNames = nil // DynamoDB refuses an empty map
	}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	if conditionFailed(reasons, 0) || conditionFailed(reasons, 1) {
		cur, getErr := t.GetDeployment(ctx, env, dep.Number)
		if getErr == nil && cur.Status != deploy.StatusInProgress {
			return nil // finished before: a retried step
		}
		return fmt.Errorf("finish deployment %d of %q: %w: the environment is not running it", dep.Number, env.Name, apps.ErrConflict)
	}
	return fmt.Errorf("finish deployment %d of %q: %w", dep.Number, env.Name, err)
}

// RecordTaskDefinition keeps the task definition registered for a release;
// a release registered before keeps its first one, which it returns.
func (t *Table) RecordTaskDefinition(ctx context.Context, env apps.Environment, release int, arn string) (string, error) {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(historyPK(env), numberSK(releasePrefix, release)),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(taskDefinitionArn)"),
		UpdateExpression:          aws.String("SET taskDefinitionArn = :arn"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":arn": str(arn)},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		rel, getErr := t.GetRelease(ctx, env, release)
		if getErr != nil {
			return "", getErr
		}
		return rel.TaskDefinitionARN, nil
	}
	if err != nil {
		return "", fmt.Errorf("record task definition of release %d: %w", release, err)
	}
	return arn, nil
}

// RecordFailure keeps why a deployment is failing, before it rolls back.
func (t *Table) RecordFailure(ctx context.Context, env apps.Environment, dep deploy.Deployment) error {
	av, err := attributevalue.Marshal(dep.LogLines)
	if err != nil {
		return fmt.Errorf("marshal log lines: %w", err)
	}
	if len(dep.LogLines) == 0 {
		av = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
	}
	_, err = t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.Name),
		Key:                      key(historyPK(env), numberSK(deploymentPrefix, dep.Number)),
		ConditionExpression:      aws.String("#status = :inprogress"),
		UpdateExpression:         aws.String("SET failureType = :ft, failureReason = :fr, logLines = :lines, logGroup = :lg, logStream = :ls"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":inprogress": str(string(deploy.StatusInProgress)), ":ft": str(dep.FailureType),
			":fr": str(dep.FailureReason), ":lines": av, ":lg": str(dep.LogGroup), ":ls": str(dep.LogStream)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("record failure of deployment %d: %w", dep.Number, err)
	}
	return nil
}

// GetRelease implements deploy.Store.
func (t *Table) GetRelease(ctx context.Context, env apps.Environment, n int) (deploy.Release, error) {
	item, err := t.getHistory(ctx, env, numberSK(releasePrefix, n))
	if err != nil || item == nil {
		return deploy.Release{}, orNotFound(err, "release %d of environment %q does not exist", n, env.Name)
	}
	var it releaseItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return deploy.Release{}, fmt.Errorf("unmarshal release: %w", err)
	}
	return it.record()
}

// GetDeployment implements deploy.Store.
func (t *Table) GetDeployment(ctx context.Context, env apps.Environment, n int) (deploy.Deployment, error) {
	item, err := t.getHistory(ctx, env, numberSK(deploymentPrefix, n))
	if err != nil || item == nil {
		return deploy.Deployment{}, orNotFound(err, "deployment %d of environment %q does not exist", n, env.Name)
	}
	var it deploymentRecordItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return deploy.Deployment{}, fmt.Errorf("unmarshal deployment: %w", err)
	}
	return it.record(), nil
}

func orNotFound(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return apps.NotFound(format, args...)
}

func (t *Table) getHistory(ctx context.Context, env apps.Environment, sk string) (map[string]types.AttributeValue, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get %s of environment %q: %w", sk, env.Name, err)
	}
	return out.Item, nil
}

// ListReleases implements deploy.Store.
func (t *Table) ListReleases(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[deploy.Release], error) {
	items, next, err := t.listHistory(ctx, env, releasePrefix, page)
	if err != nil {
		return apps.Page[deploy.Release]{}, err
	}
	res := apps.Page[deploy.Release]{Next: next}
	for _, item := range items {
		var it releaseItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[deploy.Release]{}, fmt.Errorf("unmarshal release: %w", err)
		}
		r, err := it.record()
		if err != nil {
			return apps.Page[deploy.Release]{}, err
		}
		res.Items = append(res.Items, r)
	}
	return res, nil
}

// ListDeployments implements deploy.Store.
func (t *Table) ListDeployments(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[deploy.Deployment], error) {
	items, next, err := t.listHistory(ctx, env, deploymentPrefix, page)
	if err != nil {
		return apps.Page[deploy.Deployment]{}, err
	}
	res := apps.Page[deploy.Deployment]{Next: next}
	for _, item := range items {
		var it deploymentRecordItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[deploy.Deployment]{}, fmt.Errorf("unmarshal deployment: %w", err)
		}
		res.Items = append(res.Items, it.record())
	}
	return res, nil
}

// listHistory reads a page of one kind of history item, newest first.
// page.After is the number of the last item of the previous page.
func (t *Table) listHistory(ctx context.Context, env apps.Environment, prefix string, page apps.PageRequest) ([]map[string]types.AttributeValue, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(historyPK(env)), ":prefix": str(prefix)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(page.Limit + 1)),
		ConsistentRead:            aws.Bool(true),
	}
	if page.After != "" {
		n, err := strconv.Atoi(page.After)
		if err != nil || n < 1 {
			return nil, "", apps.NotFound("no page after %q", page.After)
		}
		in.ExclusiveStartKey = key(historyPK(env), numberSK(prefix, n))
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list %s of environment %q: %w", prefix, env.Name, err)
	}
	items := out.Items
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		var last struct {
			Number int `dynamodbav:"number"`
		}
		if err := attributevalue.UnmarshalMap(items[len(items)-1], &last); err != nil {
			return nil, "", fmt.Errorf("unmarshal page end: %w", err)
		}
		next = strconv.Itoa(last.Number)
	}
	return items, next, nil
}

// RequestCancel implements deploy.Store.
func (t *Table) RequestCancel(ctx context.Context, env apps.Environment, n int) (deploy.Deployment, error) {
	out, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(t.Name),
		Key:                                 key(historyPK(env), numberSK(deploymentPrefix, n)),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND #status = :inprogress"),
		UpdateExpression:                    aws.String("SET cancelRequested = :yes"),
		ExpressionAttributeNames:            map[string]string{"#status": "status"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":inprogress": str(string(deploy.StatusInProgress)), ":yes": &types.AttributeValueMemberBOOL{Value: true}},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		if failed.Item == nil {
			return deploy.Deployment{}, apps.NotFound("deployment %d of environment %q does not exist", n, env.Name)
		}
		var it deploymentRecordItem
		_ = attributevalue.UnmarshalMap(failed.Item, &it)
		return deploy.Deployment{}, apps.Conflict("deployment %d of environment %q has finished (%s); there is nothing to cancel", n, env.Name, it.Status)
	}
	if err != nil {
		return deploy.Deployment{}, fmt.Errorf("cancel deployment %d: %w", n, err)
	}
	var it deploymentRecordItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return deploy.Deployment{}, fmt.Errorf("unmarshal deployment: %w", err)
	}
	return it.record(), nil
}

// historyBatch is how many history items one transaction deletes: the
// most a TransactWriteItems takes.
const historyBatch = 100

// removeHistory deletes an environment's releases and deployments, a
// page of keys at a time, as deletes in a transaction (no BatchWriteItem
// grant needed). RemoveRecords runs it before it deletes the records, so
// a failure in between leaves nothing that no record leads to.
func (t *Table) removeHistory(ctx context.Context, env apps.Environment) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(historyPK(env))},
		ProjectionExpression:      aws.String("pk, sk"),
		Limit:                     aws.Int32(historyBatch),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := t.Client.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("list the history of environment %q: %w", env.Name, err)
		}
		if len(out.Items) > 0 {
			items := make([]types.TransactWriteItem, 0, len(out.Items))
			for _, k := range out.Items {
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.Name), Key: k}})
			}
			if _, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
				return fmt.Errorf("delete the history of environment %q: %w", env.Name, err)
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
