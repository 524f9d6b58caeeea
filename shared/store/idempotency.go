package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/idempotency"
)

func idempotencySK(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "IDEM#" + hex.EncodeToString(sum[:])
}

type idempotencyItem struct {
	PK          string            `dynamodbav:"pk"`
	SK          string            `dynamodbav:"sk"`
	Kind        string            `dynamodbav:"kind"`
	Fingerprint string            `dynamodbav:"fingerprint"`
	Lock        string            `dynamodbav:"lock,omitempty"`
	LockedUntil int64             `dynamodbav:"lockedUntil,omitempty"`
	Done        bool              `dynamodbav:"done"`
	Status      int               `dynamodbav:"status,omitempty"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	Body        []byte            `dynamodbav:"body,omitempty"`
	Redacted    bool              `dynamodbav:"redacted,omitempty"`
	TTL         int64             `dynamodbav:"ttl"`
}

func (it idempotencyItem) record() idempotency.Record {
	return idempotency.Record{
		Fingerprint: it.Fingerprint, Done: it.Done,
		Response: idempotency.Response{Status: it.Status, Headers: it.Headers, Body: it.Body, Redacted: it.Redacted},
	}
}

// BeginIdempotent claims key for one request in a single conditional put.
// If the key is held already, it returns the record as stored instead.
// An in-flight claim whose lock has lapsed (its Lambda died) or a record
// past its TTL may be claimed again.
func (t *Table) BeginIdempotent(ctx context.Context, org, idemKey string, c idempotency.Claim) (*idempotency.Record, error) {
	it := idempotencyItem{PK: orgKey(org), SK: idempotencySK(idemKey), Kind: "idempotency",
		Fingerprint: c.Fingerprint, Lock: c.Lock, LockedUntil: c.LockedUntil.Unix(), TTL: c.Expires.Unix()}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, err
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(t.Name),
		Item:                     av,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #ttl < :now OR (#done = :false AND #lockedUntil < :now)"),
		ExpressionAttributeNames: map[string]string{"#ttl": ttlAttribute, "#done": "done", "#lockedUntil": "lockedUntil"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": num(c.Now.Unix()), ":false": &types.AttributeValueMemberBOOL{Value: false},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		var old idempotencyItem
		if err := attributevalue.UnmarshalMap(failed.Item, &old); err != nil {
			return nil, fmt.Errorf("unmarshal idempotency record: %w", err)
		}
		rec := old.record()
		return &rec, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	return nil, nil
}

// GetIdempotent reads the record of a key, consistently. A record past
// its TTL counts as none: DynamoDB deletes it only some time later.
func (t *Table) GetIdempotent(ctx context.Context, org, idemKey string) (*idempotency.Record, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name), Key: key(orgKey(org), idempotencySK(idemKey)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read idempotency record: %w", err)
	}
	if out.Item == nil || expired(out.Item, time.Now()) {
		return nil, nil
	}
	var it idempotencyItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal idempotency record: %w", err)
	}
	rec := it.record()
	return &rec, nil
}

// CompleteIdempotent stores the response of the request holding the lock.
func (t *Table) CompleteIdempotent(ctx context.Context, org, idemKey, lock string, res idempotency.Response) error {
	headers, err := attributevalue.Marshal(res.Headers)
	if err != nil {
		return err
	}
	if res.Body == nil {
		res.Body = []byte{} // a nil binary value does not serialise
	}
	_, err = t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Name),
		Key:                 key(orgKey(org), idempotencySK(idemKey)),
		UpdateExpression:    aws.String("SET #done = :true, #status = :status, #headers = :headers, #body = :body, #redacted = :redacted REMOVE #lockedUntil"),
		ConditionExpression: aws.String("#lock = :lock"),
		// Names for every attribute: several (status, lock) are DynamoDB reserved words.
		ExpressionAttributeNames: map[string]string{"#done": "done", "#status": "status", "#headers": "headers",
			"#body": "body", "#lockedUntil": "lockedUntil", "#lock": "lock", "#redacted": "redacted"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":status": num(int64(res.Status)),
			":headers": headers, ":body": &types.AttributeValueMemberB{Value: res.Body}, ":lock": str(lock),
			":redacted": &types.AttributeValueMemberBOOL{Value: res.Redacted},
		},
	})
	if err != nil {
		return fmt.Errorf("complete idempotency record: %w", err)
	}
	return nil
}

// AbandonIdempotent releases the key, so that the client may retry it.
func (t *Table) AbandonIdempotent(ctx context.Context, org, idemKey, lock string) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(orgKey(org), idempotencySK(idemKey)),
		ConditionExpression:       aws.String("#lock = :lock"),
		ExpressionAttributeNames:  map[string]string{"#lock": "lock"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":lock": str(lock)},
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
