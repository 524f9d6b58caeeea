package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/data"
)

// Data operations live in the environment's history partition too, with
// its one data lock:
//
//	item       pk                                    sk
//	operation  ORG#<org>#APP#<app>#ENV#<env>#<uid>   DATA#<type>#<kind>#<id>
//	lock       ORG#<org>#APP#<app>#ENV#<env>#<uid>   DATALOCK
//
// Operation ids start with their type and time, so the sort key orders
// them by creation.
const (
	dataPrefix = "DATA#"
	dataLockSK = "DATALOCK"
)

func dataSK(r data.Ref) string {
	return dataPrefix + string(r.Type) + "#" + string(r.Kind) + "#" + r.ID
}

type operationItem struct {
	PK                string    `dynamodbav:"pk"`
	SK                string    `dynamodbav:"sk"`
	Kind              string    `dynamodbav:"kind"`
	ID                string    `dynamodbav:"id"`
	Type              string    `dynamodbav:"dataType"`
	DataKind          string    `dynamodbav:"dataKind"`
	Environment       string    `dynamodbav:"environment"`
	Status            string    `dynamodbav:"status"`
	Reason            string    `dynamodbav:"reason,omitempty"`
	Engine            string    `dynamodbav:"engine,omitempty"`
	Description       string    `dynamodbav:"description,omitempty"`
	Bucket            string    `dynamodbav:"bucket,omitempty"`
	Key               string    `dynamodbav:"s3Key,omitempty"`
	Size              int64     `dynamodbav:"size,omitempty"`
	BackupID          string    `dynamodbav:"backupId,omitempty"`
	BackupEnvironment string    `dynamodbav:"backupEnvironment,omitempty"`
	Source            string    `dynamodbav:"source,omitempty"`
	Phase             string    `dynamodbav:"phase,omitempty"`
	TaskARN           string    `dynamodbav:"taskArn,omitempty"`
	LogGroup          string    `dynamodbav:"logGroup,omitempty"`
	LogStream         string    `dynamodbav:"logStream,omitempty"`
	TaskDefinition    string    `dynamodbav:"taskDefinition,omitempty"`
	TaskDefName       string    `dynamodbav:"taskDefinitionName,omitempty"`
	BackupTask        string    `dynamodbav:"backupTask,omitempty"`
	BackupLogGroup    string    `dynamodbav:"backupLogGroup,omitempty"`
	BackupLogStream   string    `dynamodbav:"backupLogStream,omitempty"`
	TargetStopped     bool      `dynamodbav:"targetStopped,omitempty"`
	TargetStarted     bool      `dynamodbav:"targetStarted,omitempty"`
	Execution         string    `dynamodbav:"execution"`
	CreatedBy         string    `dynamodbav:"createdBy,omitempty"`
	CreatedAt         time.Time `dynamodbav:"createdAt"`
	UpdatedAt         time.Time `dynamodbav:"updatedAt"`
	EndedAt           time.Time `dynamodbav:"endedAt,omitempty"`
	Version           int64     `dynamodbav:"version"`
}

func toOperationItem(env apps.Environment, o data.Operation) operationItem {
	return operationItem{PK: historyPK(env), SK: dataSK(o.Ref()), Kind: "DATA", ID: o.ID, Type: string(o.Type), DataKind: string(o.Kind),
		Environment: o.Environment, Status: string(o.Status), Reason: o.Reason, Engine: o.Engine, Description: o.Description,
		Bucket: o.Bucket, Key: o.Key, Size: o.Size, BackupID: o.BackupID, BackupEnvironment: o.BackupEnvironment, Source: o.Source,
		Phase: string(o.Phase), TaskARN: o.TaskARN, LogGroup: o.LogGroup, LogStream: o.LogStream, TaskDefinition: o.TaskDefinition, TaskDefName: o.TaskDefinitionName, BackupTask: o.BackupTask, BackupLogGroup: o.BackupLogGroup,
		BackupLogStream: o.BackupLogStream, TargetStopped: o.TargetStopped, TargetStarted: o.TargetStarted, Execution: o.Execution, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, EndedAt: o.EndedAt, Version: o.Version}
}

func (it operationItem) record() data.Operation {
	return data.Operation{ID: it.ID, Type: data.Type(it.Type), Kind: data.Kind(it.DataKind), Environment: it.Environment,
		Status: data.Status(it.Status), Reason: it.Reason, Engine: it.Engine, Description: it.Description, Bucket: it.Bucket,
		Key: it.Key, Size: it.Size, BackupID: it.BackupID, BackupEnvironment: it.BackupEnvironment, Source: it.Source,
		Phase: data.Phase(it.Phase), TaskARN: it.TaskARN, LogGroup: it.LogGroup, LogStream: it.LogStream, TaskDefinition: it.TaskDefinition, TaskDefinitionName: it.TaskDefName, BackupTask: it.BackupTask, BackupLogGroup: it.BackupLogGroup,
		BackupLogStream: it.BackupLogStream, TargetStopped: it.TargetStopped, TargetStarted: it.TargetStarted, Execution: it.Execution, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt,
		UpdatedAt: it.UpdatedAt, EndedAt: it.EndedAt, Version: it.Version}
}

// CreateOperation implements data.Store.
func (t *Table) CreateOperation(ctx context.Context, env apps.Environment, o data.Operation) error {
	o.Version = 1
	item, err := attributevalue.MarshalMap(toOperationItem(env, o))
	if err != nil {
		return fmt.Errorf("encode %s: %w", o.Type, err)
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if checkFailed(err) {
		return apps.Conflict("%s %s exists", o.Type, o.ID)
	}
	if err != nil {
		return fmt.Errorf("create %s %s: %w", o.Type, o.ID, err)
	}
	return nil
}

// GetOperation implements data.Store.
func (t *Table) GetOperation(ctx context.Context, env apps.Environment, r data.Ref) (data.Operation, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name),
		Key: key(historyPK(env), dataSK(r)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return data.Operation{}, fmt.Errorf("get %s %s: %w", r.Type, r.ID, err)
	}
	if out.Item == nil {
		return data.Operation{}, apps.NotFound("environment %q has no %s %s %q", env.Name, r.Kind, r.Type, r.ID)
	}
	var it operationItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return data.Operation{}, fmt.Errorf("decode %s %s: %w", r.Type, r.ID, err)
	}
	return it.record(), nil
}

// ListOperations implements data.Store: one Query of the sort key range
// the creation times bound, filtered by status, read on until the page is
// full.
func (t *Table) ListOperations(ctx context.Context, env apps.Environment, q data.Query) (apps.Page[data.Operation], error) {
	prefix := dataPrefix + string(q.Type) + "#" + string(q.Kind) + "#"
	lo, hi := prefix, prefix+"\uffff"
	if !q.Since.IsZero() {
		lo = prefix + data.IDBound(q.Type, q.Since)
	}
	if !q.Before.IsZero() {
		hi = prefix + data.IDBound(q.Type, q.Before)
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(historyPK(env)), ":lo": str(lo), ":hi": str(hi),
		},
		ScanIndexForward: aws.Bool(q.Ascending),
		ConsistentRead:   aws.Bool(true),
	}
	if q.Status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = map[string]string{"#status": "status"}
		in.ExpressionAttributeValues[":status"] = str(string(q.Status))
	}
	if q.After != "" {
		// A token from another window: DynamoDB refuses a start key outside
		// the key condition, so start at the window's edge, or end at once.
		switch after := prefix + q.After; {
		case after >= lo && after <= hi:
			in.ExclusiveStartKey = key(historyPK(env), after)
		case (after > hi) == q.Ascending:
			return apps.Page[data.Operation]{}, nil // the whole window lies before the token
		}
	}
	var res apps.Page[data.Operation]
	for {
		in.Limit = aws.Int32(int32(q.Limit + 1 - len(res.Items)))
		out, err := t.Client.Query(ctx, in)
		if err != nil {
			return apps.Page[data.Operation]{}, fmt.Errorf("list %ss: %w", q.Type, err)
		}
		for _, item := range out.Items {
			var it operationItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return apps.Page[data.Operation]{}, fmt.Errorf("decode %s: %w", q.Type, err)
			}
			res.Items = append(res.Items, it.record())
		}
		if len(res.Items) > q.Limit || out.LastEvaluatedKey == nil {
			res.Items, res.Next = trimPage(res.Items, q.Limit, false, func(o data.Operation) string { return o.ID })
			return res, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// UpdateOperation implements data.Store.
func (t *Table) UpdateOperation(ctx context.Context, env apps.Environment, r data.Ref, change func(*data.Operation) error) (data.Operation, error) {
	for attempt := 0; ; attempt++ {
		o, err := t.GetOperation(ctx, env, r)
		if err != nil {
			return data.Operation{}, err
		}
		if err := change(&o); err != nil {
			return data.Operation{}, err
		}
		read := o.Version
		o.Version++
		item, err := attributevalue.MarshalMap(toOperationItem(env, o))
		if err != nil {
			return data.Operation{}, fmt.Errorf("encode %s: %w", r.Type, err)
		}
		_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(read)}})
		switch {
		case err == nil:
			return o, nil
		case !checkFailed(err):
			return data.Operation{}, fmt.Errorf("update %s %s: %w", r.Type, r.ID, err)
		case attempt+1 == updateAttempts:
			return data.Operation{}, apps.Unavailable(err, "%s %s is changing too often; retry the request", r.Type, r.ID)
		}
	}
}

// DeleteOperation implements data.Store: only a finished operation goes.
func (t *Table) DeleteOperation(ctx context.Context, env apps.Environment, r data.Ref) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), dataSK(r)),
		ConditionExpression:      aws.String("#status IN (:completed, :failed)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":completed": str(string(data.StatusCompleted)), ":failed": str(string(data.StatusFailed)),
		}})
	if checkFailed(err) {
		return apps.NotFound("environment %q has no finished %s %q", env.Name, r.Type, r.ID)
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", r.Type, r.ID, err)
	}
	return nil
}

// Lock implements data.Store: a conditional put of the lock item, which a
// lock past its time gives way to.
func (t *Table) Lock(ctx context.Context, env apps.Environment, holder string, now, until time.Time) error {
	item := key(historyPK(env), dataLockSK)
	item["kind"], item["holder"], item["until"] = str("DATALOCK"), str(holder), num(until.Unix())
	item[ttlAttribute] = num(until.Unix()) // a lock a dead run left goes
	_, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR holder = :h OR #until < :now"),
		ExpressionAttributeNames:  map[string]string{"#until": "until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(holder), ":now": num(now.Unix())}})
	if checkFailed(err) {
		held := "another data operation"
		if out, gerr := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), dataLockSK), ConsistentRead: aws.Bool(true)}); gerr == nil {
			if h, ok := out.Item["holder"].(*types.AttributeValueMemberS); ok {
				held = data.DescribeHolder(h.Value)
			}
		}
		return apps.Conflict("environment %q is busy with %s; one data operation runs on an environment at a time", env.Name, held)
	}
	if err != nil {
		return fmt.Errorf("lock environment %s: %w", env.Name, err)
	}
	return nil
}

// Unlock implements data.Store.
func (t *Table) Unlock(ctx context.Context, env apps.Environment, holder string) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), dataLockSK),
		ConditionExpression:       aws.String("holder = :h"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(holder)}})
	if checkFailed(err) {
		return nil // not held, or held by another now
	}
	if err != nil {
		return fmt.Errorf("unlock environment %s: %w", env.Name, err)
	}
	return nil
}

// SyncInto describes the sync that holds env's data lock as its target
// ("the filesystem sync sync-… of staging"), or "" when none does: the
// lock is free, outlived its time, or held by another operation (a sync
// holds its source too, whose deployments it does not disturb).
func (t *Table) SyncInto(ctx context.Context, env apps.Environment, now time.Time) (string, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), dataLockSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read environment %s's data lock: %w", env.Name, err)
	}
	h, _ := out.Item["holder"].(*types.AttributeValueMemberS)
	until, _ := out.Item["until"].(*types.AttributeValueMemberN)
	if h == nil || until == nil {
		return "", nil
	}
	if u, err := strconv.ParseInt(until.Value, 10, 64); err != nil || u < now.Unix() {
		return "", nil
	}
	holder, ref, _ := strings.Cut(h.Value, ":")
	if r, err := data.ParseRef(ref); err != nil || r.Type != data.TypeSync || holder != env.Name {
		return "", nil
	}
	return data.DescribeHolder(h.Value), nil
}
