package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
)

// Tokens, audit events and idempotency records (see items.go for records):
//
//	item                pk                 sk
//	token               TOKEN#<id>         TOKEN
//	token membership    ORG#<org>          TOKEN#<id>
//	audit event         ORG#<org>          AUDIT#<time>#<request id>
//	idempotency record  ORG#<org>          IDEM#<sha256 of the key>
//
// A token may act on several organisations, so the authorizer finds it by
// id alone; that is the one key the organisation does not lead. Each
// organisation lists its tokens through membership items.
const (
	tokenSK     = "TOKEN"
	tokenPrefix = "TOKEN#"
)

func tokenPK(id string) string { return "TOKEN#" + id }

type tokenItem struct {
	PK            string     `dynamodbav:"pk"`
	SK            string     `dynamodbav:"sk"`
	Kind          string     `dynamodbav:"kind"`
	ID            string     `dynamodbav:"id"`
	SecretHash    string     `dynamodbav:"secretHash,omitempty"`
	Organisations []string   `dynamodbav:"organisations"`
	Role          string     `dynamodbav:"role"`
	Description   string     `dynamodbav:"description,omitempty"`
	ExpiresAt     *time.Time `dynamodbav:"expiresAt,omitempty"`
	CreatedAt     time.Time  `dynamodbav:"createdAt"`
	LastUsedAt    *time.Time `dynamodbav:"lastUsedAt,omitempty"`
	// LastUsedUnix is LastUsedAt in epoch seconds, for the condition that
	// limits updates: RFC 3339 strings of varying precision do not compare.
	LastUsedUnix int64 `dynamodbav:"lastUsedUnix,omitempty"`
	// TTL removes a token TokenRetention after it expired, with its
	// membership items; a token without an expiry has none.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

func (it tokenItem) token() auth.Token {
	return auth.Token{ID: it.ID, SecretHash: it.SecretHash, Organisations: it.Organisations, Role: auth.Role(it.Role),
		Description: it.Description, ExpiresAt: it.ExpiresAt, CreatedAt: it.CreatedAt, LastUsedAt: it.LastUsedAt}
}

// CreateToken stores a token and one membership item per organisation.
func (t *Table) CreateToken(ctx context.Context, tok auth.Token) error {
	it := tokenItem{PK: tokenPK(tok.ID), SK: tokenSK, Kind: "token", ID: tok.ID, SecretHash: tok.SecretHash,
		Organisations: tok.Organisations, Role: string(tok.Role), Description: tok.Description,
		ExpiresAt: tok.ExpiresAt, CreatedAt: tok.CreatedAt}
	if tok.ExpiresAt != nil {
		it.TTL = tok.ExpiresAt.Add(TokenRetention).Unix()
	}
	main, err := put(it, "attribute_not_exists(pk)")
	if err != nil {
		return err
	}
	main.Put.TableName = aws.String(t.Name)
	writes := []types.TransactWriteItem{main}
	for _, org := range tok.Organisations {
		member := it
		member.PK, member.SK, member.Kind, member.SecretHash = orgKey(org), tokenPrefix+tok.ID, "tokenMembership", ""
		w, err := put(member, "attribute_not_exists(pk)")
		if err != nil {
			return err
		}
		w.Put.TableName = aws.String(t.Name)
		writes = append(writes, w)
	}
	if _, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return fmt.Errorf("create token %s: %w", tok.ID, err)
	}
	return nil
}

// GetToken reads a token by id; auth.ErrNoToken if there is none, or if
// it is past its TTL (expired for TokenRetention already).
func (t *Table) GetToken(ctx context.Context, id string) (auth.Token, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name), Key: key(tokenPK(id), tokenSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.Token{}, fmt.Errorf("get token %s: %w", id, err)
	}
	if out.Item == nil || expired(out.Item, time.Now()) {
		return auth.Token{}, auth.ErrNoToken
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return auth.Token{}, fmt.Errorf("unmarshal token %s: %w", id, err)
	}
	return it.token(), nil
}

// TouchToken records that the token was used, at most once a minute so
// that busy tokens do not cost a write per request. The time goes on the
// token and on its membership items too, in one transaction, so that
// listing an organisation's tokens is one Query.
func (t *Table) TouchToken(ctx context.Context, tok auth.Token, now time.Time) error {
	ts, err := attributevalue.Marshal(now.UTC())
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{{Update: &types.Update{
		TableName:           aws.String(t.Name),
		Key:                 key(tokenPK(tok.ID), tokenSK),
		UpdateExpression:    aws.String("SET lastUsedAt = :now, lastUsedUnix = :unix"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(lastUsedUnix) OR lastUsedUnix < :before)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": ts, ":unix": num(now.Unix()), ":before": num(now.Add(-auth.TouchEvery).Unix()),
		},
	}}}
	for _, org := range tok.Organisations {
		writes = append(writes, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(t.Name),
			Key:                       key(orgKey(org), tokenPrefix+tok.ID),
			UpdateExpression:          aws.String("SET lastUsedAt = :now"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": ts},
		}})
	}
	// Not t.transact: a touch is advisory, so it neither retries a
	// conflict nor carries a request's audit event.
	_, err = t.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		switch reasons := cancelled.CancellationReasons; {
		case conditionFailed(reasons, 0):
			return nil // used within the last minute already, or revoked meanwhile
		case onlyConflicts(reasons):
			return nil // another touch of the same token is under way
		}
	}
	if err != nil {
		return fmt.Errorf("touch token %s: %w", tok.ID, err)
	}
	return nil
}

// ListTokens reads a page of an organisation's tokens with one Query of
// its membership items, which carry the last-used time (TouchToken).
func (t *Table) ListTokens(ctx context.Context, org string, page apps.PageRequest) (apps.Page[auth.Token], error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgKey(org)), ":prefix": str(tokenPrefix),
		},
		Limit: aws.Int32(int32(page.Limit + 1)),
	}
	if page.After != "" {
		in.ExclusiveStartKey = key(orgKey(org), tokenPrefix+page.After)
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return apps.Page[auth.Token]{}, fmt.Errorf("list tokens: %w", err)
	}
	var res apps.Page[auth.Token]
	now := time.Now()
	for _, item := range out.Items {
		if expired(item, now) {
			continue // DynamoDB has yet to delete it
		}
		var it tokenItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[auth.Token]{}, fmt.Errorf("unmarshal token: %w", err)
		}
		res.Items = append(res.Items, it.token())
	}
	res.Items, res.Next = trimPage(res.Items, page.Limit, out.LastEvaluatedKey != nil, func(tok auth.Token) string { return tok.ID })
	return res, nil
}

// RevokeToken deletes a token with its memberships at once: a revoked
// token is not kept (audit events name it by id on their own). The caller checks
// that it may: the token reaches org, and no organisation beyond the
// caller's.
// The delete is conditional on the token existing, so that of two
// concurrent revokes one succeeds and the other finds none
// (auth.ErrNoToken).
func (t *Table) RevokeToken(ctx context.Context, tok auth.Token) error {
	writes := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: aws.String(t.Name), Key: key(tokenPK(tok.ID), tokenSK), ConditionExpression: aws.String("attribute_exists(pk)"),
	}}}
	for _, o := range tok.Organisations {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.Name), Key: key(orgKey(o), tokenPrefix+tok.ID)}})
	}
	reasons, err := t.transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if conditionFailed(reasons, 0) {
		return auth.ErrNoToken
	}
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", tok.ID, err)
	}
	return nil
}
