package awsrepository

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// CreateRepository creates an application's image repository: images are
// scanned on push, and tags are mutable so "latest" can move.
func (c *Part) CreateRepository(ctx context.Context, spec cloud.RepositorySpec) (cloud.Resource, error) {
	tags := awscloud.TagList(spec.Tags, func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} })
	out, err := c.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(spec.Name),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		ImageTagMutability:         types.ImageTagMutabilityMutable,
		EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeAes256},
		Tags:                       tags,
	})
	if awscloud.Code(err) == "RepositoryAlreadyExistsException" {
		return c.checkRepository(ctx, cloud.Ref{Kind: cloud.KindRepository, Name: spec.Name})
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return repositoryResource(out.Repository), nil
}

func (c *Part) checkRepository(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	out, err := c.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{ref.Name}})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.Repositories) == 0 {
		return cloud.Resource{}, awscloud.NotFound("ecr: no repository " + ref.Name)
	}
	return repositoryResource(&out.Repositories[0]), nil
}

func repositoryResource(repo *types.Repository) cloud.Resource {
	return cloud.Resource{
		Ref:   cloud.Ref{Kind: cloud.KindRepository, Name: aws.ToString(repo.RepositoryName), ID: aws.ToString(repo.RepositoryArn)},
		State: cloud.StateAvailable,
		Outputs: map[string]string{
			cloud.OutRepositoryURI: aws.ToString(repo.RepositoryUri),
			cloud.OutARN:           aws.ToString(repo.RepositoryArn),
		},
	}
}

// deleteRepository deletes the repository with its images.
func (c *Part) deleteRepository(ctx context.Context, ref cloud.Ref) (bool, error) {
	_, err := c.ECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(ref.Name), Force: true})
	if err != nil && awscloud.Code(err) != "RepositoryNotFoundException" {
		return false, awscloud.Fail(err)
	}
	return true, nil
}
