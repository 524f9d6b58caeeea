package awsruntime

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// recoveryWindowDays is how long a deleted secret can still be restored.
const recoveryWindowDays = 7

// CreateSecret creates an environment's app-secrets secret holding "{}".
func (c *Part) CreateSecret(ctx context.Context, spec cloud.SecretSpec) (cloud.Resource, error) {
	tags := awscloud.TagList(spec.Tags, func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} })
	out, err := c.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:               aws.String(spec.Name),
		Description:        aws.String(spec.Description),
		SecretString:       aws.String("{}"),
		ClientRequestToken: aws.String(requestToken(spec.Name)),
		Tags:               tags,
	})
	if awscloud.Code(err) == "ResourceExistsException" {
		return c.checkSecret(ctx, cloud.Ref{Kind: cloud.KindSecret, Name: spec.Name})
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return secretResource(spec.Name, aws.ToString(out.ARN)), nil
}

// requestToken is a UUID-shaped token derived from name, so a retried
// create is the same request to Secrets Manager.
func requestToken(name string) string {
	b := sha256.Sum256([]byte(name))
	b[6] = b[6]&0x0f | 0x50 // version 5: name-based
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func secretResource(name, arn string) cloud.Resource {
	return cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindSecret, Name: name, ID: arn},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: arn},
	}
}

func (c *Part) checkSecret(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	out, err := c.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID(ref))})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	r := secretResource(ref.Name, aws.ToString(out.ARN))
	if out.DeletedDate != nil {
		r.State = cloud.StateDeleting
	}
	return r, nil
}

// deleteSecret schedules the secret's deletion: it is gone for Berth
// then, though it can be restored during the recovery window.
func (c *Part) deleteSecret(ctx context.Context, ref cloud.Ref) (bool, error) {
	_, err := c.Secrets.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId: aws.String(secretID(ref)), RecoveryWindowInDays: aws.Int64(recoveryWindowDays),
	})
	switch {
	case err == nil, awscloud.Code(err) == "ResourceNotFoundException":
		return true, nil
	case awscloud.Code(err) == "InvalidRequestException" && alreadyDeleted(awscloud.Message(err)):
		return true, nil
	}
	return false, awscloud.Fail(err)
}

// alreadyDeleted: Secrets Manager refuses to delete a secret already
// scheduled for deletion with an InvalidRequestException that only its
// message tells apart.
func alreadyDeleted(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "scheduled for deletion") || strings.Contains(msg, "marked deleted") || strings.Contains(msg, "marked for deletion")
}

// secretID: the ARN when known, which names this secret and no later one.
func secretID(ref cloud.Ref) string {
	if ref.ID != "" {
		return ref.ID
	}
	return ref.Name
}
