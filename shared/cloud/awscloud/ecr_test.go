package awscloud

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

const repositoryJSON = `{"repositoryName":"berth/acme/my-app-0123456789","repositoryArn":"arn:aws:ecr:eu-west-1:123456789012:repository/berth/acme/my-app-0123456789","repositoryUri":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app-0123456789"}`

func TestCreateRepositoryRequest(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateRepository", ok(`{"repository":`+repositoryJSON+`}`))
	r, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/acme/my-app-0123456789", Tags: testTags})
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, stub.only("CreateRepository").JSON, `{
		"repositoryName":"berth/acme/my-app-0123456789",
		"imageScanningConfiguration":{"scanOnPush":true},"imageTagMutability":"MUTABLE",
		"encryptionConfiguration":{"encryptionType":"AES256"},
		"tags":[{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]
	}`)
	if r.State != cloud.StateAvailable || r.Outputs[cloud.OutRepositoryURI] != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app-0123456789" {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateRepositoryThatExistsReadsIt(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateRepository", awsErr("RepositoryAlreadyExistsException", "The repository already exists"))
	stub.on("DescribeRepositories", ok(`{"repositories":[`+repositoryJSON+`]}`))
	r, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/acme/my-app-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	checkJSON(t, stub.only("DescribeRepositories").JSON, `{"repositoryNames":["berth/acme/my-app-0123456789"]}`)
	if r.ID != "arn:aws:ecr:eu-west-1:123456789012:repository/berth/acme/my-app-0123456789" || r.Outputs[cloud.OutRepositoryURI] == "" {
		t.Errorf("resource %+v", r)
	}
}

func TestRepositoryCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindRepository, Name: "berth/acme/my-app-0123456789"}
	c, stub := testCloud(t)
	stub.on("DescribeRepositories", awsErr("RepositoryNotFoundException", "The repository does not exist"))
	stub.on("DeleteRepository", ok(`{"repository":`+repositoryJSON+`}`), awsErr("RepositoryNotFoundException", "The repository does not exist"))
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing repository: %v", err)
	}
	for i := 0; i < 2; i++ {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	checkJSON(t, stub.all("DeleteRepository")[0].JSON, `{"repositoryName":"berth/acme/my-app-0123456789","force":true}`)
}
