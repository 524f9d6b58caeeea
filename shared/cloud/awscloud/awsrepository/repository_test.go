package awsrepository

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const repositoryJSON = `{"repositoryName":"berth/acme/my-app-0123456789","repositoryArn":"arn:aws:ecr:eu-west-1:123456789012:repository/berth/acme/my-app-0123456789","repositoryUri":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app-0123456789"}`

func TestCreateRepositoryRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateRepository", awstest.OK(`{"repository":`+repositoryJSON+`}`))
	r, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/acme/my-app-0123456789", Tags: awstest.Tags})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("CreateRepository").JSON, `{
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
	c, stub := testPart(t)
	stub.On("CreateRepository", awstest.AWSErr("RepositoryAlreadyExistsException", "The repository already exists"))
	stub.On("DescribeRepositories", awstest.OK(`{"repositories":[`+repositoryJSON+`]}`))
	r, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/acme/my-app-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("DescribeRepositories").JSON, `{"repositoryNames":["berth/acme/my-app-0123456789"]}`)
	if r.ID != "arn:aws:ecr:eu-west-1:123456789012:repository/berth/acme/my-app-0123456789" || r.Outputs[cloud.OutRepositoryURI] == "" {
		t.Errorf("resource %+v", r)
	}
}

func TestRepositoryCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindRepository, Name: "berth/acme/my-app-0123456789"}
	c, stub := testPart(t)
	stub.On("DescribeRepositories", awstest.AWSErr("RepositoryNotFoundException", "The repository does not exist"))
	stub.On("DeleteRepository", awstest.OK(`{"repository":`+repositoryJSON+`}`), awstest.AWSErr("RepositoryNotFoundException", "The repository does not exist"))
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing repository: %v", err)
	}
	for i := 0; i < 2; i++ {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	awstest.CheckJSON(t, stub.All("DeleteRepository")[0].JSON, `{"repositoryName":"berth/acme/my-app-0123456789","force":true}`)
}

// TestNetworkErrorIsNamed: an error without an AWS answer still says
// which call failed.
func TestNetworkErrorIsNamed(t *testing.T) {
	srv := httptest.NewServer(nil)
	srv.Close()
	cfg := aws.Config{Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	c := New(cfg, awstest.Platform, func(string) string { return srv.URL }) // every endpoint variable
	_, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/x"})
	if err == nil || !strings.HasPrefix(err.Error(), "ecr CreateRepository: ") {
		t.Fatalf("error %v", err)
	}
}
