package berth

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/store"
)

// TimeToLiveAttribute is the attribute DynamoDB expires items by (epoch
// seconds): the store's, which store.EnsureTable turns on locally. Audit
// events, idempotency records, expiring tokens, finished runs and FAILED
// records whose create left nothing carry it (see store.TTLAttribute).
const TimeToLiveAttribute = store.TTLAttribute

// NewTable declares Berth's table from store.TableDefinition, so the key
// design lives in one place. CDK names it; the functions get the name
// through BERTH_TABLE_NAME. Items expire by TimeToLiveAttribute. It is encrypted with the AWS managed key,
// keeps point-in-time recovery, cannot be deleted by accident, and stays
// when the stack is destroyed.
func NewTable(scope constructs.Construct, id string) (awsdynamodb.Table, error) {
	def := store.TableDefinition("")
	if def.BillingMode != types.BillingModePayPerRequest {
		return nil, fmt.Errorf("table: billing mode %q is not supported here", def.BillingMode)
	}
	attrType := map[string]awsdynamodb.AttributeType{}
	for _, a := range def.AttributeDefinitions {
		switch a.AttributeType {
		case types.ScalarAttributeTypeS:
			attrType[aws.ToString(a.AttributeName)] = awsdynamodb.AttributeType_STRING
		case types.ScalarAttributeTypeN:
			attrType[aws.ToString(a.AttributeName)] = awsdynamodb.AttributeType_NUMBER
		case types.ScalarAttributeTypeB:
			attrType[aws.ToString(a.AttributeName)] = awsdynamodb.AttributeType_BINARY
		default:
			return nil, fmt.Errorf("table: attribute %s has type %q", aws.ToString(a.AttributeName), a.AttributeType)
		}
	}
	keys := func(schema []types.KeySchemaElement) (pk, sk *awsdynamodb.Attribute, err error) {
		for _, k := range schema {
			name := aws.ToString(k.AttributeName)
			t, ok := attrType[name]
			if !ok {
				return nil, nil, fmt.Errorf("table: key %s has no attribute definition", name)
			}
			attr := &awsdynamodb.Attribute{Name: jsii.String(name), Type: t}
			if k.KeyType == types.KeyTypeHash {
				pk = attr
			} else {
				sk = attr
			}
		}
		return pk, sk, nil
	}
	pk, sk, err := keys(def.KeySchema)
	if err != nil {
		return nil, err
	}
	t := awsdynamodb.NewTable(scope, jsii.String(id), &awsdynamodb.TableProps{
		PartitionKey: pk,
		SortKey:      sk,
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:   awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
		TimeToLiveAttribute: jsii.String(TimeToLiveAttribute),
	})
	for _, gsi := range def.GlobalSecondaryIndexes {
		gpk, gsk, err := keys(gsi.KeySchema)
		if err != nil {
			return nil, err
		}
		if gsi.Projection == nil || gsi.Projection.ProjectionType != types.ProjectionTypeAll {
			return nil, fmt.Errorf("table: index %s must project ALL", aws.ToString(gsi.IndexName))
		}
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      gsi.IndexName,
			PartitionKey:   gpk,
			SortKey:        gsk,
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return t, nil
}
