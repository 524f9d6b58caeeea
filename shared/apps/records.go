// Package apps holds Berth's applications and environments: their records,
// the rules for creating and deleting them, and the use cases the API runs.
// It imports no AWS SDK; the store and the workflow starter are ports.
package apps

import (
	"strconv"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
)

// Status is the lifecycle state of an application or environment.
type Status string

// Statuses. Provisioning moves CREATING to ACTIVE or FAILED; DELETE moves a
// record to DELETING until teardown removes it.
const (
	StatusCreating Status = "CREATING"
	StatusActive   Status = "ACTIVE"
	StatusFailed   Status = "FAILED"
	StatusDeleting Status = "DELETING"
)

// ProductionEnvironment is the environment an application starts with,
// unless another dialect's create names another (Application.First).
const ProductionEnvironment = "production"

// Running is how many tasks the environment runs: what provisioning last
// saw, else the count the record keeps.
func (e Environment) Running() int {
	n, err := strconv.Atoi(e.Outputs[OutRunningCount])
	if err != nil {
		return e.RunningCount
	}
	return n
}

// First is the name of the environment the application was created with.
func (a Application) First() string {
	if a.FirstEnvironment == "" {
		return ProductionEnvironment
	}
	return a.FirstEnvironment
}

// Application is an organisation's application.
type Application struct {
	Organisation string
	Name         string
	// UID tells apart applications that reuse a name after a delete; it
	// makes workflow execution names deterministic per application.
	UID    string
	Status Status
	// FirstEnvironment is the environment the application was created
	// with, provisioned by the application's own workflow; "" is production.
	FirstEnvironment string
	// Label is the name another dialect created it with, when that name is
	// not a valid application name (Cloud Foundry's "my_app" is "my-app").
	Label       string
	Compose     compose.Definition
	MinCapacity int
	MaxCapacity int
	Database    *Database
	Filesystem  *Filesystem
	// Variables are the initial environment[] of the create: kept and
	// shown, not yet given to containers (README, "no effect yet").
	Variables   []compose.EnvVar
	Deployments []Deployment
	Provisioning
	// Version increments on every update, for optimistic locking.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Database is the application's RDS instance: what was asked for, and what
// provisioning has found out so far.
type Database struct {
	Engine        string
	InstanceClass string
	StorageGB     int
	MultiAZ       bool
	Identifier    string
	Endpoint      string
	Status        string
}

// Filesystem is the application's shared EFS filesystem.
type Filesystem struct {
	MountPath    string
	FilesystemID string
}

// Deployment is one registered task definition of an environment.
type Deployment struct {
	DeploymentID      string
	Environment       string
	TaskDefinitionARN string
	CreatedAt         time.Time
	Status            string
	ImageTag          string
}

// Environment is one running copy of an application.
type Environment struct {
	Organisation           string
	Application            string
	Name                   string
	UID                    string
	Status                 Status
	DeploymentStatus       string
	Compose                compose.Definition
	MinCapacity            int
	MaxCapacity            int
	DesiredCount           int
	RunningCount           int
	CloneConfigurationFrom string
	ImageSuffix            string
	// Variables are the environment's variables as its serving release
	// runs them: at first the create's environment[], over the clone
	// source's when MergeEnvironment; then what shared/configuration set.
	Variables        []compose.EnvVar
	MergeEnvironment bool
	// Secrets are its secret variables as the serving release runs them:
	// names and versions, never values.
	Secrets []SecretVariable
	// Volumes are its EFS access points beyond its own (shared/volumes),
	// by name; each one's access point is also among Resources.
	Volumes []Volume
	Provisioning
	Rollouts
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SecretVariable is one of an environment's secrets. Its value lives only
// in Secrets Manager; ValueFrom pins the version the release runs.
type SecretVariable struct {
	Name      string
	Version   int
	ValueFrom string
	UpdatedAt time.Time
}

// Volume is an EFS access point of an environment under the application's
// filesystem, at its own root directory; containers mount it by Name.
type Volume struct {
	Name          string
	Description   string
	RootDirectory string
	AccessPointID string
	// AccessPointARN is what IAM policies and ECS name it by.
	AccessPointARN string
	CreatedAt      time.Time
}

// Rollouts is what deployments have made of an environment (shared/deploy).
type Rollouts struct {
	// Release is the number of the release serving; 0 before the first
	// change, when what provisioning deployed serves (release 1 once recorded).
	Release int
	// LastRelease and LastDeployment are the highest numbers given out.
	LastRelease    int
	LastDeployment int
	// Deploying is the number of the deployment running, 0 when none: one
	// at a time per environment.
	Deploying int
	// Stopped is set by a stop; StoppedCount is the desired count a start restores.
	Stopped      bool
	StoppedCount int
	// FailureType and FailureReason say why the last deployment failed;
	// empty once one succeeds.
	FailureType   string
	FailureReason string
}

// Provisioning is what the workflows record on an application or an
// environment: the current operation's progress, why it failed, the cloud
// resources created for the record, and what the cloud reported of them.
type Provisioning struct {
	Progress  *Progress
	Reason    string
	Resources []cloud.Ref
	Outputs   map[string]string
}

// Replaceable reports whether a create may take the environment's place:
// its provisioning failed and compensation removed everything it made.
func (e Environment) Replaceable() bool {
	return e.Status == StatusFailed && len(e.Resources) == 0
}

// ComposeContext is what compose rules need to know of the application.
func (a Application) ComposeContext() compose.Context {
	if a.Filesystem == nil {
		return compose.Context{}
	}
	return compose.Context{Filesystem: true, FilesystemMountPath: a.Filesystem.MountPath}
}

// ComposeContextFor adds what compose rules need to know of one of its
// environments: the volumes its containers may mount.
func (a Application) ComposeContextFor(e Environment) compose.Context {
	ctx := a.ComposeContext()
	for _, v := range e.Volumes {
		ctx.Volumes = append(ctx.Volumes, v.Name)
	}
	return ctx
}

// Page is one page of a list, with the name to continue after, if any.
type Page[T any] struct {
	Items []T
	// Next is the name of the last item returned when more follow; empty at
	// the end of the list.
	Next string
}

// PageRequest asks for up to Limit items after the name After.
type PageRequest struct {
	Limit int
	After string
}
