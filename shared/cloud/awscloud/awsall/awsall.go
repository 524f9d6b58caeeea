// Package awsall is the whole AWS cloud, every part together, for the
// step functions that still serve every resource group. It links every
// part's clients; a function of one group should use its part's FromEnv.
package awsall

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsdatabase"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsfilesystem"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsnetwork"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsrepository"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsruntime"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsservice"
	"github.com/berth-dev/berth/shared/provision"
)

// New is every part, built as each part's New builds it.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) cloud.Parts {
	return cloud.Parts{
		awsdatabase.New(cfg, p, getenv), awsfilesystem.New(cfg, p, getenv), awsrepository.New(cfg, p, getenv),
		awsruntime.New(cfg, p, getenv), awsnetwork.New(cfg, p, getenv), awsservice.New(cfg, p, getenv),
	}
}

// FromEnv is every part as a step function's cloud: a stepboot.CloudPort.
func FromEnv(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error) {
	plat, err := awscloud.PlatformFromEnv(p, getenv)
	if err != nil {
		return nil, err
	}
	return New(cfg, plat, getenv), nil
}
