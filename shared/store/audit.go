package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/pattern"
)

const auditPrefix = "AUDIT#"

// auditTimeLayout sorts as text in time order: fixed width, UTC.
const auditTimeLayout = "2006-01-02T15:04:05.000000000Z"

// auditID is the form of an event id: its sort key without the prefix.
var auditID = pattern.New(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{18}Z#[A-Za-z0-9-]+$`, 32, 31+128) // a 31-byte time and "#", then 1 to 128

// ValidAuditID reports whether s is an id AppendAudit could have written:
// the form, and a real time in auditTimeLayout (not 2026-13-45T99:...).
func ValidAuditID(s string) bool {
	if !auditID.MatchString(s) {
		return false
	}
	stamp, _, _ := strings.Cut(s, "#")
	t, err := time.Parse(auditTimeLayout, stamp)
	return err == nil && t.Format(auditTimeLayout) == stamp
}

type auditItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Kind         string    `dynamodbav:"kind"`
	Organisation string    `dynamodbav:"organisation"`
	TokenID      string    `dynamodbav:"tokenId"`
	Action       string    `dynamodbav:"action"`
	Target       string    `dynamodbav:"target"`
	Outcome      int       `dynamodbav:"outcome"`
	RequestID    string    `dynamodbav:"requestId"`
	Time         time.Time `dynamodbav:"time"`
	TTL          int64     `dynamodbav:"ttl"`
}

// AppendAudit stores one event. Its key is its time and request id, so
// writing an event again replaces it.
func (t *Table) AppendAudit(ctx context.Context, e audit.Event) error {
	av, err := auditAttributes(e)
	if err != nil {
		return err
	}
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: av}); err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

func auditAttributes(e audit.Event) (map[string]types.AttributeValue, error) {
	id := e.Time.UTC().Format(auditTimeLayout) + "#" + e.RequestID
	return attributevalue.MarshalMap(auditItem{
		PK: orgKey(e.Organisation), SK: auditPrefix + id, Kind: "audit", Organisation: e.Organisation,
		TokenID: e.TokenID, Action: e.Action, Target: e.Target, Outcome: e.Outcome, RequestID: e.RequestID,
		Time: e.Time.UTC(), TTL: e.Time.Add(audit.Retention).Unix(),
	})
}

// withPendingAudit adds the request's pending audit event, if any, to a
// write transaction; settled marks it written once the transaction is.
func (t *Table) withPendingAudit(ctx context.Context, items []types.TransactWriteItem) ([]types.TransactWriteItem, func(), error) {
	p := audit.PendingFrom(ctx)
	if p == nil || p.Written {
		return items, func() {}, nil
	}
	av, err := auditAttributes(p.Event)
	if err != nil {
		return nil, nil, err
	}
	items = append(items[:len(items):len(items)], types.TransactWriteItem{Put: &types.Put{TableName: aws.String(t.Name), Item: av}})
	return items, func() { p.Written = true }, nil
}

// ListAudit reads a page of events, newest first, with one Query.
func (t *Table) ListAudit(ctx context.Context, org string, limit int, after string) ([]audit.Event, string, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgKey(org)), ":prefix": str(auditPrefix),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit + 1)),
	}
	if after != "" {
		in.ExclusiveStartKey = key(orgKey(org), auditPrefix+after)
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	var events []audit.Event
	for _, item := range out.Items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, "", fmt.Errorf("unmarshal audit event: %w", err)
		}
		events = append(events, audit.Event{ID: it.SK[len(auditPrefix):], Organisation: it.Organisation, TokenID: it.TokenID,
			Action: it.Action, Target: it.Target, Outcome: it.Outcome, RequestID: it.RequestID, Time: it.Time})
	}
	events, next := trimPage(events, limit, out.LastEvaluatedKey != nil, func(e audit.Event) string { return e.ID })
	return events, next, nil
}
