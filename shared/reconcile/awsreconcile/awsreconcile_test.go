package awsreconcile_test

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/reconcile/awsreconcile"
)

// TestManagedPagesThroughTaggedResources: the real SDK client against the
// stub asks for berth:managed=true, follows PaginationToken, and places
// each ARN as the kind and ref the AWS adapters delete.
func TestManagedPagesThroughTaggedResources(t *testing.T) {
	stub := awstest.New(t)
	stub.On("GetResources",
		awstest.OK(`{"PaginationToken":"p2","ResourceTagMappingList":[
			{"ResourceARN":"arn:aws:rds:eu-west-1:123456789012:db:berth-shop-0123456789","Tags":[{"Key":"berth:managed","Value":"true"},{"Key":"berth:uid","Value":"u1"}]},
			{"ResourceARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/shop/production-0123456789/app-secrets-AbCdEf","Tags":[{"Key":"berth:managed","Value":"true"}]}]}`),
		awstest.OK(`{"PaginationToken":"","ResourceTagMappingList":[
			{"ResourceARN":"arn:aws:ecs:eu-west-1:123456789012:service/berth/berth-acme-shop-production-0123456789","Tags":[{"Key":"berth:managed","Value":"true"}]},
			{"ResourceARN":"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0abc","Tags":[{"Key":"berth:managed","Value":"true"}]},
			{"ResourceARN":"arn:aws:ecs:eu-west-1:123456789012:task/berth/0abc","Tags":[{"Key":"berth:managed","Value":"true"}]}]}`))
	inv := awsreconcile.New(stub.Config(), stub.URL)
	found, err := inv.Managed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reqs := stub.All("GetResources")
	if len(reqs) != 2 {
		t.Fatalf("%d GetResources calls, want 2", len(reqs))
	}
	awstest.CheckJSON(t, reqs[0].JSON, `{"ResourcesPerPage":100,"TagFilters":[{"Key":"berth:managed","Values":["true"]}]}`)
	awstest.CheckJSON(t, reqs[1].JSON, `{"PaginationToken":"p2","ResourcesPerPage":100,"TagFilters":[{"Key":"berth:managed","Values":["true"]}]}`)
	want := []cloud.Ref{
		{Kind: cloud.KindDatabase, Name: "berth-shop-0123456789", ID: "berth-shop-0123456789"},
		{Kind: cloud.KindSecret, Name: "berth/acme/shop/production-0123456789/app-secrets",
			ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/shop/production-0123456789/app-secrets-AbCdEf"},
		{Kind: cloud.KindService, Name: "berth-acme-shop-production-0123456789", ID: "arn:aws:ecs:eu-west-1:123456789012:service/berth/berth-acme-shop-production-0123456789"},
		{Kind: cloud.KindSecurityGroup, ID: "sg-0abc"},
		{}, // a job's task: no kind, left alone
	}
	if len(found) != len(want) {
		t.Fatalf("found %d, want %d: %+v", len(found), len(want), found)
	}
	for i, f := range found {
		if f.Ref != want[i] {
			t.Errorf("%s: ref %+v, want %+v", f.ARN, f.Ref, want[i])
		}
	}
	if found[0].Tags[cloud.TagUID] != "u1" {
		t.Errorf("tags %v", found[0].Tags)
	}
}

func TestPlaceEveryKind(t *testing.T) {
	const p = "arn:aws:"
	for arn, want := range map[string]cloud.Kind{
		p + "elasticfilesystem:r:1:file-system/fs-1":                          cloud.KindFilesystem,
		p + "elasticfilesystem:r:1:access-point/fsap-1":                       cloud.KindAccessPoint,
		p + "ecr:r:1:repository/berth/acme/shop-0123456789":                   cloud.KindRepository,
		p + "logs:r:1:log-group:/berth/acme/shop/production-0123456789":       cloud.KindLogGroup,
		p + "elasticloadbalancing:r:1:targetgroup/berth-production-01/abc":    cloud.KindTargetGroup,
		p + "elasticloadbalancing:r:1:listener-rule/app/berth/1/2/3":          cloud.KindListenerRule,
		p + "ecs:r:1:task-definition/berth-acme-shop-production-0123456789:3": cloud.KindTaskDefinition,
		p + "scheduler:r:1:schedule-group/berth-acme-shop-production-01":      cloud.KindScheduleGroup,
	} {
		if got := awsreconcile.Place(arn, nil); got.Kind != want {
			t.Errorf("%s: %+v, want %s", arn, got, want)
		}
	}
	if got := awsreconcile.Place("arn:aws:logs:r:1:log-group:/berth/a:*", nil); got.Name != "/berth/a" {
		t.Errorf("log group %+v", got)
	}
}
