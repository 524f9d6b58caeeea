package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
)

// ListRecords reads every application and environment record, for the
// reconciler (shared/reconcile): a paginated Scan filtered on kind. It
// reads the whole table once per run (every 15 minutes), which costs less
// than an index kept for it.
func (t *Table) ListRecords(ctx context.Context) ([]apps.Application, []apps.Environment, error) {
	var (
		applications []apps.Application
		environments []apps.Environment
	)
	p := dynamodb.NewScanPaginator(t.Client, &dynamodb.ScanInput{
		TableName:                aws.String(t.Name),
		FilterExpression:         aws.String("#kind IN (:app, :env)"),
		ExpressionAttributeNames: map[string]string{"#kind": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":app": str("application"), ":env": str("environment"),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("scan records: %w", err)
		}
		for _, item := range page.Items {
			kind, _ := item["kind"].(*types.AttributeValueMemberS)
			if kind == nil {
				continue
			}
			switch kind.Value {
			case "application":
				var it applicationItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return nil, nil, fmt.Errorf("decode application: %w", err)
				}
				a, err := it.record()
				if err != nil {
					return nil, nil, err
				}
				applications = append(applications, a)
			case "environment":
				var it environmentItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return nil, nil, fmt.Errorf("decode environment: %w", err)
				}
				e, err := it.record()
				if err != nil {
					return nil, nil, err
				}
				environments = append(environments, e)
			}
		}
	}
	return applications, environments, nil
}

// The reconciler's sightings: one item, a map of resource key to the time
// it was first seen without a record. Names never contain '#' and every
// record key starts ORG#, so this key meets no record.
const (
	reconcilerPK = "RECONCILER"
	sightingsSK  = "SIGHTINGS"
)

type sightingsItem struct {
	PK   string               `dynamodbav:"pk"`
	SK   string               `dynamodbav:"sk"`
	Kind string               `dynamodbav:"kind"`
	Seen map[string]time.Time `dynamodbav:"seen"`
}

// FirstSeen returns when each key was first seen, recording now for new
// keys and forgetting keys not given (their resources are gone or
// recorded). One reconciler runs at a time (its schedule), so a plain read
// then put is enough.
func (t *Table) FirstSeen(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error) {
	k := key(reconcilerPK, sightingsSK)
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read sightings: %w", err)
	}
	var old sightingsItem
	if out.Item != nil {
		if err := attributevalue.UnmarshalMap(out.Item, &old); err != nil {
			return nil, fmt.Errorf("decode sightings: %w", err)
		}
	}
	it := sightingsItem{PK: reconcilerPK, SK: sightingsSK, Kind: "reconciler", Seen: map[string]time.Time{}}
	for _, key := range keys {
		if at, ok := old.Seen[key]; ok {
			it.Seen[key] = at
		} else {
			it.Seen[key] = now.UTC()
		}
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode sightings: %w", err)
	}
	if _, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: av}); err != nil {
		return nil, fmt.Errorf("write sightings: %w", err)
	}
	return it.Seen, nil
}
