// Package store keeps Berth's records in one DynamoDB table. It owns the
// key design (see items.go) and is the only package that talks to DynamoDB.
package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
)

// Table is the DynamoDB implementation of apps.Store.
type Table struct {
	Client *dynamodb.Client
	Name   string
}

var _ apps.Store = (*Table)(nil)

// TableDefinition is the table's schema; the CDK stack declares the same.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: s},
			{AttributeName: aws.String(attrSK), AttributeType: s},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: s},
			{AttributeName: aws.String(attrGSI1SK), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexByOrganisation),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

// EnsureTable creates the table unless it exists, waits until it is
// active, and turns on TTL for the ttl attribute.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %q: %w", name, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL of %q: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == types.TimeToLiveStatusEnabled {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(ttlAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %q: %w", name, err)
	}
	return nil
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// maxTransactAttempts bounds retries of a transaction cancelled only because
// another transaction held the same items (TransactionConflict). A retry
// then sees the other writer's result and fails its condition cleanly.
const maxTransactAttempts = 6

// transact runs a write transaction, retrying pure transaction conflicts.
// It returns the cancellation reasons when a condition failed. The
// request's pending audit event, if any, goes last in the transaction.
func (t *Table) transact(ctx context.Context, in *dynamodb.TransactWriteItemsInput) ([]types.CancellationReason, error) {
	items, settled, err := t.withPendingAudit(ctx, in.TransactItems)
	if err != nil {
		return nil, err
	}
	in.TransactItems = items
	for attempt := 1; ; attempt++ {
		_, err := t.Client.TransactWriteItems(ctx, in)
		if err == nil {
			settled()
			return nil, nil
		}
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			return nil, err
		}
		if !onlyConflicts(cancelled.CancellationReasons) {
			return cancelled.CancellationReasons, err
		}
		if attempt == maxTransactAttempts {
			// 503, not 409: the request may succeed as is, and a 5xx is not
			// kept as an Idempotency-Key's answer.
			return nil, &apps.Error{Kind: apps.ErrUnavailable, Message: "another request is changing the same records; retry", Cause: err}
		}
		backoff := time.Duration(attempt*10+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

func onlyConflicts(reasons []types.CancellationReason) bool {
	conflict := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "None", "":
		default:
			return false
		}
	}
	return conflict
}

func conditionFailed(reasons []types.CancellationReason, i int) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == "ConditionalCheckFailed"
}

func put(item any, condition string) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal item: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{Item: av, ConditionExpression: aws.String(condition)}}, nil
}

// replaceable lets a create take the place of a record whose provisioning
// failed and was compensated (no resources left), so the same request can
// simply be sent again.
const replaceable = "attribute_not_exists(pk) OR (#status = :failed AND size(resources) = :zero)"

// CreateApplication stores the application and its production environment
// in one transaction that fails if the name is taken.
func (t *Table) CreateApplication(ctx context.Context, app apps.Application, prod apps.Environment) error {
	ai, err := toApplicationItem(app)
	if err != nil {
		return err
	}
	ei, err := toEnvironmentItem(prod)
	if err != nil {
		return err
	}
	putApp, err := put(ai, replaceable)
	if err != nil {
		return err
	}
	putEnv, err := put(ei, replaceable)
	if err != nil {
		return err
	}
	for _, w := range []*types.TransactWriteItem{&putApp, &putEnv} {
		w.Put.TableName = aws.String(t.Name)
		w.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
		w.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":failed": str(string(apps.StatusFailed)), ":zero": num(0)}
	}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{putApp, putEnv}})
	if conditionFailed(reasons, 0) || conditionFailed(reasons, 1) {
		return apps.Conflict("application %q already exists", app.Name)
	}
	if err != nil {
		return fmt.Errorf("create application %q: %w", app.Name, err)
	}
	return nil
}

// RemoveNewApplication deletes the records CreateApplication wrote, unless
// something has updated them since.
func (t *Table) RemoveNewApplication(ctx context.Context, app apps.Application) error {
	pk := applicationPK(app.Organisation, app.Name)
	del := func(sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(t.Name), Key: key(pk, sk),
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(1)},
		}}
	}
	_, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		del(applicationSK), del(environmentSK(app.First())),
	}})
	if err != nil {
		return fmt.Errorf("remove new application %q: %w", app.Name, err)
	}
	return nil
}

// GetApplication reads the application and its environments with one Query.
// A partition past 1 MB needs further pages; at the 64 KiB body cap that
// takes more than fourteen environments of the largest size.
func (t *Table) GetApplication(ctx context.Context, org, name string) (apps.Application, []apps.Environment, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(applicationPK(org, name))},
		ConsistentRead:            aws.Bool(true),
	}
	var (
		app   apps.Application
		found bool
		envs  []apps.Environment
		now   = time.Now()
	)
	p := dynamodb.NewQueryPaginator(t.Client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return apps.Application{}, nil, fmt.Errorf("query application %q: %w", name, err)
		}
		for _, item := range out.Items {
			if expired(item, now) {
				continue // a FAILED record past its TTL: gone, though DynamoDB has yet to delete it
			}
			sk, _ := item[attrSK].(*types.AttributeValueMemberS)
			if sk != nil && sk.Value == applicationSK {
				var it applicationItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return apps.Application{}, nil, fmt.Errorf("unmarshal application %q: %w", name, err)
				}
				if app, err = it.record(); err != nil {
					return apps.Application{}, nil, err
				}
				found = true
				continue
			}
			env, err := unmarshalEnvironment(item)
			if err != nil {
				return apps.Application{}, nil, err
			}
			envs = append(envs, env)
		}
	}
	if !found {
		return apps.Application{}, nil, apps.NotFound("application %q does not exist", name)
	}
	return app, envs, nil
}

func unmarshalEnvironment(item map[string]types.AttributeValue) (apps.Environment, error) {
	var it environmentItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return apps.Environment{}, fmt.Errorf("unmarshal environment: %w", err)
	}
	return it.record()
}

// ListApplications reads a page of the organisation's applications from
// the byOrganisation index. It asks for one item more than the page, so
// that nextToken is given only when more follow.
func (t *Table) ListApplications(ctx context.Context, org string, page apps.PageRequest) (apps.Page[apps.Application], error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		IndexName:                 aws.String(IndexByOrganisation),
		KeyConditionExpression:    aws.String("gsi1pk = :org"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":org": str(orgKey(org))},
		Limit:                     aws.Int32(int32(page.Limit + 1)),
	}
	if page.After != "" {
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			attrPK: str(applicationPK(org, page.After)), attrSK: str(applicationSK),
			attrGSI1PK: str(orgKey(org)), attrGSI1SK: str(applicationGSI1SK(page.After)),
		}
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return apps.Page[apps.Application]{}, fmt.Errorf("list applications: %w", err)
	}
	var res apps.Page[apps.Application]
	now := time.Now()
	for _, item := range out.Items {
		if expired(item, now) {
			continue
		}
		var it applicationItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[apps.Application]{}, fmt.Errorf("unmarshal application: %w", err)
		}
		a, err := it.record()
		if err != nil {
			return apps.Page[apps.Application]{}, err
		}
		res.Items = append(res.Items, a)
	}
	res.Items, res.Next = trimPage(res.Items, page.Limit, out.LastEvaluatedKey != nil, func(a apps.Application) string { return a.Name })
	return res, nil
}

// trimPage cuts a page read with limit+1 back to limit and names where the
// next page starts.
func trimPage[T any](items []T, limit int, truncated bool, name func(T) string) ([]T, string) {
	if len(items) > limit {
		items = items[:limit]
		return items, name(items[limit-1])
	}
	if truncated && len(items) > 0 {
		return items, name(items[len(items)-1])
	}
	return items, ""
}

// MarkApplicationDeleting sets DELETING in one conditional update. When the
// application is DELETING already, it returns the record unchanged.
func (t *Table) MarkApplicationDeleting(ctx context.Context, org, name string, now time.Time) (apps.Application, error) {
	item, err := t.markDeleting(ctx, applicationPK(org, name), applicationSK, now)
	if err != nil {
		return apps.Application{}, fmt.Errorf("mark application %q deleting: %w", name, err)
	}
	if item == nil {
		return apps.Application{}, apps.NotFound("application %q does not exist", name)
	}
	var it applicationItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return apps.Application{}, fmt.Errorf("unmarshal application %q: %w", name, err)
	}
	return it.record()
}

// markDeleting returns the item after the update, the item as it was if it
// was DELETING already, or nil if there is none.
func (t *Table) markDeleting(ctx context.Context, pk, sk string, now time.Time) (map[string]types.AttributeValue, error) {
	ts, err := attributevalue.Marshal(now)
	if err != nil {
		return nil, err
	}
	out, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Name),
		Key:       key(pk, sk),
		// A FAILED record's TTL goes: its teardown decides what happens to it.
		UpdateExpression:         aws.String("SET #status = :deleting, updatedAt = :now, version = version + :one REMOVE #ttl"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND #status <> :deleting"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#ttl": ttlAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":deleting": str(string(apps.StatusDeleting)), ":now": ts, ":one": num(1),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return failed.Item, nil // nil when missing; the old item when DELETING already
	}
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// CreateEnvironment stores the environment if its application exists and
// is not being deleted, and the name is free, in one transaction.
func (t *Table) CreateEnvironment(ctx context.Context, env apps.Environment) error {
	ei, err := toEnvironmentItem(env)
	if err != nil {
		return err
	}
	putEnv, err := put(ei, replaceable)
	if err != nil {
		return err
	}
	putEnv.Put.TableName = aws.String(t.Name)
	putEnv.Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
	putEnv.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":failed": str(string(apps.StatusFailed)), ":zero": num(0)}
	check := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(t.Name),
		Key:       key(applicationPK(env.Organisation, env.Application), applicationSK),
		// An application with a TTL is FAILED and expiring (expireFailed):
		// no environment may join it and outlive it.
		ConditionExpression:                 aws.String("attribute_exists(pk) AND #status <> :deleting AND attribute_not_exists(#ttl)"),
		ExpressionAttributeNames:            map[string]string{"#status": "status", "#ttl": ttlAttribute},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":deleting": str(string(apps.StatusDeleting))},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{check, putEnv}})
	switch {
	case conditionFailed(reasons, 0) && reasons[0].Item == nil:
		return apps.NotFound("application %q does not exist", env.Application)
	case conditionFailed(reasons, 0) && expiresAt(reasons[0].Item) != 0:
		return apps.Conflict("application %q failed to provision; send its create again first", env.Application)
	case conditionFailed(reasons, 0):
		return apps.Conflict("application %q is being deleted", env.Application)
	case conditionFailed(reasons, 1):
		return apps.Conflict("environment %q already exists", env.Name)
	case err != nil:
		return fmt.Errorf("create environment %q: %w", env.Name, err)
	}
	return nil
}

// RemoveNewEnvironment deletes an environment CreateEnvironment wrote,
// unless something has updated it since.
func (t *Table) RemoveNewEnvironment(ctx context.Context, env apps.Environment) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(applicationPK(env.Organisation, env.Application), environmentSK(env.Name)),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(env.Version)},
	})
	if err != nil {
		return fmt.Errorf("remove new environment %q: %w", env.Name, err)
	}
	return nil
}

// GetEnvironment reads one environment with one GetItem.
func (t *Table) GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.Name),
		Key:            key(applicationPK(org, app), environmentSK(name)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return apps.Environment{}, fmt.Errorf("get environment %q: %w", name, err)
	}
	if out.Item == nil || expired(out.Item, time.Now()) {
		return apps.Environment{}, apps.NotFound("environment %q of application %q does not exist", name, app)
	}
	return unmarshalEnvironment(out.Item)
}

// ListEnvironments reads a page of an application's environments. Every
// application has a production environment, so an empty first page means
// the application does not exist.
func (t *Table) ListEnvironments(ctx context.Context, org, app string, page apps.PageRequest) (apps.Page[apps.Environment], error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :env)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(applicationPK(org, app)), ":env": str(environmentPrefix),
		},
		Limit:          aws.Int32(int32(page.Limit + 1)),
		ConsistentRead: aws.Bool(true),
	}
	if page.After != "" {
		in.ExclusiveStartKey = key(applicationPK(org, app), environmentSK(page.After))
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return apps.Page[apps.Environment]{}, fmt.Errorf("list environments: %w", err)
	}
	if len(out.Items) == 0 && page.After == "" {
		return apps.Page[apps.Environment]{}, apps.NotFound("application %q does not exist", app)
	}
	var res apps.Page[apps.Environment]
	now := time.Now()
	for _, item := range out.Items {
		if expired(item, now) {
			continue
		}
		e, err := unmarshalEnvironment(item)
		if err != nil {
			return apps.Page[apps.Environment]{}, err
		}
		res.Items = append(res.Items, e)
	}
	res.Items, res.Next = trimPage(res.Items, page.Limit, out.LastEvaluatedKey != nil, func(e apps.Environment) string { return e.Name })
	return res, nil
}

// MarkEnvironmentDeleting sets DELETING in one conditional update. When the
// environment is DELETING already, it returns the record unchanged.
func (t *Table) MarkEnvironmentDeleting(ctx context.Context, org, app, name string, now time.Time) (apps.Environment, error) {
	item, err := t.markDeleting(ctx, applicationPK(org, app), environmentSK(name), now)
	if err != nil {
		return apps.Environment{}, fmt.Errorf("mark environment %q deleting: %w", name, err)
	}
	if item == nil {
		return apps.Environment{}, apps.NotFound("environment %q of application %q does not exist", name, app)
	}
	return unmarshalEnvironment(item)
}
