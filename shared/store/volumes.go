package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// volumeItem is one of an environment's volumes, on its item.
type volumeItem struct {
	Name           string    `dynamodbav:"name"`
	Description    string    `dynamodbav:"description,omitempty"`
	RootDirectory  string    `dynamodbav:"rootDirectory"`
	AccessPointID  string    `dynamodbav:"accessPointId"`
	AccessPointARN string    `dynamodbav:"accessPointArn"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
}

func toVolumeItems(vs []apps.Volume) []volumeItem {
	var out []volumeItem
	for _, v := range vs {
		out = append(out, volumeItem(v))
	}
	return out
}

func volumeRecords(its []volumeItem) []apps.Volume {
	var out []apps.Volume
	for _, it := range its {
		out = append(out, apps.Volume(it))
	}
	return out
}

// SaveVolumes writes env.Volumes, and records the access point added or
// forgets the one removed, in one update that holds only while the record
// is still ACTIVE at env.Version: a deployment or teardown that moved it on
// meanwhile makes it fail with ErrPrecondition, and the caller reads again.
func (t *Table) SaveVolumes(ctx context.Context, env apps.Environment, add, remove *cloud.Ref, now time.Time) error {
	u := &update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
	if len(env.Volumes) == 0 {
		u.remove = append(u.remove, u.name("volumes"))
	} else {
		u.set = append(u.set, u.name("volumes")+" = "+u.value(toVolumeItems(env.Volumes)))
	}
	if add != nil {
		u.set = append(u.set, u.name("resources")+"."+u.name(refKey(*add))+" = "+u.value(refItem{string(add.Kind), add.Name, add.ID}))
	}
	if remove != nil {
		u.remove = append(u.remove, u.name("resources")+"."+u.name(refKey(*remove)))
	}
	u.set = append(u.set, "updatedAt = "+u.value(now), "version = version + "+u.value(1))
	condition := "uid = " + u.value(env.UID) + " AND version = " + u.value(env.Version) + " AND " + u.name("status") + " = " + u.value(string(apps.StatusActive))
	if u.err != nil {
		return fmt.Errorf("save volumes: %w", u.err)
	}
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(applicationPK(env.Organisation, env.Application), environmentSK(env.Name)),
		UpdateExpression:          aws.String(u.expression()),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return apps.PreconditionFailed("environment %q changed while its volumes were saved", env.Name)
	}
	if err != nil {
		return fmt.Errorf("save volumes of environment %q: %w", env.Name, err)
	}
	return nil
}
