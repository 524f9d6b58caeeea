package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/dialect"
)

// scopeItem is an environment scope a dialect recorded (a CF space, a
// Qovery environment), in its organisation's scopes partition.
type scopeItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Kind         string    `dynamodbav:"kind"`
	Organisation string    `dynamodbav:"organisation"`
	Name         string    `dynamodbav:"name"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
}

func scopesPK(org string) string { return orgKey(org) + "#SCOPES" }

const scopePrefix = "SCOPE#"

// CreateScope implements dialect.ScopeStore: a put that holds only when
// no scope of the name is recorded; the recorded one wins a race.
func (t *Table) CreateScope(ctx context.Context, s dialect.Scope) (dialect.Scope, error) {
	item, err := attributevalue.MarshalMap(scopeItem{PK: scopesPK(s.Organisation), SK: scopePrefix + s.Name, Kind: "scope",
		Organisation: s.Organisation, Name: s.Name, CreatedAt: s.CreatedAt})
	if err != nil {
		return dialect.Scope{}, fmt.Errorf("marshal scope: %w", err)
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name), Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return s, nil
	}
	if !checkFailed(err) {
		return dialect.Scope{}, fmt.Errorf("create scope %q: %w", s.Name, err)
	}
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: key(scopesPK(s.Organisation), scopePrefix+s.Name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return dialect.Scope{}, fmt.Errorf("read scope %q: %w", s.Name, err)
	}
	var it scopeItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return dialect.Scope{}, fmt.Errorf("unmarshal scope: %w", err)
	}
	return dialect.Scope{Organisation: it.Organisation, Name: it.Name, CreatedAt: it.CreatedAt}, nil
}

// ListScopes implements dialect.ScopeStore: the organisation's recorded
// scopes, by name.
func (t *Table) ListScopes(ctx context.Context, org string) ([]dialect.Scope, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(scopesPK(org)), ":p": str(scopePrefix)},
	}
	var scopes []dialect.Scope
	for {
		out, err := t.Client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list scopes: %w", err)
		}
		for _, item := range out.Items {
			var it scopeItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, fmt.Errorf("unmarshal scope: %w", err)
			}
			scopes = append(scopes, dialect.Scope{Organisation: it.Organisation, Name: it.Name, CreatedAt: it.CreatedAt})
		}
		if out.LastEvaluatedKey == nil {
			return scopes, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
