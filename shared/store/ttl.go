package store

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTLAttribute is the table's DynamoDB TTL attribute: a Number, in epoch
// seconds. DynamoDB deletes an item some time after that moment (within
// days, not at once), so every read of an item kind that carries it treats
// an item past it as gone already (expired). The CDK stack declares the
// same attribute; store.EnsureTable turns it on locally.
//
// Which items carry it, and from when (docs/data-model.md, Expiry):
//
//	audit event              time + audit.Retention (400 days)
//	idempotency record       claim time + idempotency window (24 h)
//	token with an expiry     expiresAt + TokenRetention
//	finished run             endedAt + RunRetention (command and cron runs)
//	data lock                its holder's LockTTL (6 h), when a run died holding it
//	FAILED record            failure time + FailedRetention, only when a
//	                         create failed and no resources remain
//
// Applications, environments otherwise, releases, deployments, cron jobs
// and tokens without an expiry never expire. A revoked token is deleted at
// once (RevokeToken); audit events name tokens by id on their own.
const TTLAttribute = "ttl"

// ttlAttribute is TTLAttribute, as the package's code spells it.
const ttlAttribute = TTLAttribute

const (
	// TokenRetention is how long an expired token stays, refused but
	// listed, so that its owners see why it no longer works.
	TokenRetention = 30 * 24 * time.Hour
	// RunRetention is how long a finished command or cron run stays
	// readable, with its exit code and output.
	RunRetention = 30 * 24 * time.Hour
	// FailedRetention is how long a FAILED application or environment
	// whose create failed and left no resources stays, so that its reason
	// can be read; meanwhile the same create may take its place.
	FailedRetention = 7 * 24 * time.Hour
)

// expiresAt is the TTL attribute's value of an item, or 0 without one.
func expiresAt(item map[string]types.AttributeValue) int64 {
	n, ok := item[ttlAttribute].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// expired reports whether DynamoDB may delete the item by now: it has a
// TTL and the TTL is in the past. Reads skip such items.
func expired(item map[string]types.AttributeValue, now time.Time) bool {
	at := expiresAt(item)
	return at != 0 && at < now.Unix()
}
