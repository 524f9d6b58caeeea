// Package awsreconcile is the reconciler's AWS inventory: the Resource
// Groups Tagging API's GetResources, filtered on berth:managed=true and
// paginated, each ARN placed as the cloud port's kind and ref.
package awsreconcile

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/reconcile"
)

// Inventory implements reconcile.Inventory with the Tagging API.
type Inventory struct {
	Client *tagging.Client
}

var _ reconcile.Inventory = Inventory{}

// New builds an Inventory from cfg; endpoint, when set, replaces AWS's.
func New(cfg aws.Config, endpoint string) Inventory {
	return Inventory{Client: tagging.NewFromConfig(cfg, func(o *tagging.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Managed implements reconcile.Inventory. The Tagging API reports no
// creation time, so the grace period runs from the first sighting.
func (i Inventory) Managed(ctx context.Context) ([]reconcile.Found, error) {
	p := tagging.NewGetResourcesPaginator(i.Client, &tagging.GetResourcesInput{
		TagFilters:       []types.TagFilter{{Key: aws.String(cloud.ManagedTag), Values: []string{"true"}}},
		ResourcesPerPage: aws.Int32(100),
	})
	var out []reconcile.Found
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("tagging GetResources: %w", err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := cloud.Tags{}
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			arn := aws.ToString(m.ResourceARN)
			out = append(out, reconcile.Found{Ref: Place(arn, tags), ARN: arn, Tags: tags})
		}
	}
	return out, nil
}

// Place is the ref of the resource arn names, as the AWS adapters'
// Delete reads it (shared/cloud/awscloud), or a ref without a kind for an
// ARN of a type Berth creates no kind of (ECS tasks of jobs, scalable
// targets, whose ARN does not name their service).
func Place(arn string, tags cloud.Tags) cloud.Ref {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return cloud.Ref{}
	}
	service, resource := parts[2], parts[5]
	typ, rest, _ := strings.Cut(resource, "/")
	if service == "rds" || service == "logs" || service == "secretsmanager" {
		typ, rest, _ = strings.Cut(resource, ":")
	}
	named := func(k cloud.Kind, name, id string) cloud.Ref { return cloud.Ref{Kind: k, Name: name, ID: id} }
	switch service + " " + typ {
	case "rds db":
		return named(cloud.KindDatabase, rest, rest)
	case "elasticfilesystem file-system":
		return named(cloud.KindFilesystem, tags["Name"], rest)
	case "elasticfilesystem access-point":
		return named(cloud.KindAccessPoint, tags["Name"], rest)
	case "ecr repository":
		return named(cloud.KindRepository, rest, "")
	case "logs log-group":
		name := strings.TrimSuffix(rest, ":*")
		return named(cloud.KindLogGroup, name, name)
	case "secretsmanager secret":
		// Secrets Manager adds "-" and six characters to the name.
		name := rest
		if i := strings.LastIndex(name, "-"); i > 0 && len(name)-i == 7 {
			name = name[:i]
		}
		return named(cloud.KindSecret, name, arn)
	case "ec2 security-group":
		return named(cloud.KindSecurityGroup, tags["Name"], rest)
	case "elasticloadbalancing targetgroup":
		name, _, _ := strings.Cut(rest, "/")
		return named(cloud.KindTargetGroup, name, arn)
	case "elasticloadbalancing listener-rule":
		return named(cloud.KindListenerRule, "", arn)
	case "ecs task-definition":
		return named(cloud.KindTaskDefinition, rest, arn)
	case "ecs service":
		i := strings.LastIndex(rest, "/")
		return named(cloud.KindService, rest[i+1:], arn)
	case "scheduler schedule-group":
		return named(cloud.KindScheduleGroup, rest, arn)
	}
	return cloud.Ref{}
}
