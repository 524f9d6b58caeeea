package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
)

// Key design: one table, and the organisation leads every key.
//
//	item         pk                          sk            gsi1pk      gsi1sk
//	application  ORG#<org>#APP#<app>         APP           ORG#<org>   APP#<app>
//	environment  ORG#<org>#APP#<app>         ENV#<env>     ORG#<org>#ENV#<env>  APP#<app>
//
// An application and its environments share a partition, so one Query
// reads an application with every environment. The gsi1 index lists an
// organisation's applications by name, and finds its environments of one
// name across applications (Quant's organisation-level command paths).
// Names never contain '#', so keys cannot collide.
const (
	attrPK     = "pk"
	attrSK     = "sk"
	attrGSI1PK = "gsi1pk"
	attrGSI1SK = "gsi1sk"
	// IndexByOrganisation is the name of the gsi1 index.
	IndexByOrganisation = "byOrganisation"
	applicationSK       = "APP"
	environmentPrefix   = "ENV#"
)

func orgKey(org string) string             { return "ORG#" + org }
func applicationPK(org, app string) string { return "ORG#" + org + "#APP#" + app }
func applicationGSI1SK(app string) string  { return "APP#" + app }
func environmentSK(env string) string      { return environmentPrefix + env }

// applicationItem is an application as stored. The compose definition is
// kept as its JSON document: it is read and written whole, never queried.
type applicationItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	GSI1PK       string `dynamodbav:"gsi1pk"`
	GSI1SK       string `dynamodbav:"gsi1sk"`
	Kind         string `dynamodbav:"kind"`
	Organisation string `dynamodbav:"organisation"`
	Name         string `dynamodbav:"name"`
	UID          string `dynamodbav:"uid"`
	// FirstEnvironment is absent for applications created with production.
	FirstEnvironment string           `dynamodbav:"firstEnvironment,omitempty"`
	Label            string           `dynamodbav:"label,omitempty"`
	Status           string           `dynamodbav:"status"`
	Compose          string           `dynamodbav:"compose"`
	MinCapacity      int              `dynamodbav:"minCapacity"`
	MaxCapacity      int              `dynamodbav:"maxCapacity"`
	Database         *databaseItem    `dynamodbav:"database,omitempty"`
	Filesystem       *filesystemItem  `dynamodbav:"filesystem,omitempty"`
	Variables        []variableItem   `dynamodbav:"variables,omitempty"`
	Deployments      []deploymentItem `dynamodbav:"deployments,omitempty"`
	provisioningItem
	Version   int64     `dynamodbav:"version"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
}

type databaseItem struct {
	Engine        string `dynamodbav:"engine"`
	InstanceClass string `dynamodbav:"instanceClass"`
	StorageGB     int    `dynamodbav:"storageGb"`
	MultiAZ       bool   `dynamodbav:"multiAz"`
	Identifier    string `dynamodbav:"identifier,omitempty"`
	Endpoint      string `dynamodbav:"endpoint,omitempty"`
	Status        string `dynamodbav:"status,omitempty"`
}

type filesystemItem struct {
	MountPath    string `dynamodbav:"mountPath"`
	FilesystemID string `dynamodbav:"filesystemId,omitempty"`
}

type deploymentItem struct {
	DeploymentID      string    `dynamodbav:"deploymentId"`
	Environment       string    `dynamodbav:"environment"`
	TaskDefinitionARN string    `dynamodbav:"taskDefinitionArn"`
	CreatedAt         time.Time `dynamodbav:"createdAt"`
	Status            string    `dynamodbav:"status"`
	ImageTag          string    `dynamodbav:"imageTag,omitempty"`
}

type environmentItem struct {
	PK                     string         `dynamodbav:"pk"`
	SK                     string         `dynamodbav:"sk"`
	GSI1PK                 string         `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK                 string         `dynamodbav:"gsi1sk,omitempty"`
	Kind                   string         `dynamodbav:"kind"`
	Organisation           string         `dynamodbav:"organisation"`
	Application            string         `dynamodbav:"application"`
	Name                   string         `dynamodbav:"name"`
	UID                    string         `dynamodbav:"uid"`
	Status                 string         `dynamodbav:"status"`
	DeploymentStatus       string         `dynamodbav:"deploymentStatus,omitempty"`
	Compose                string         `dynamodbav:"compose"`
	MinCapacity            int            `dynamodbav:"minCapacity"`
	MaxCapacity            int            `dynamodbav:"maxCapacity"`
	DesiredCount           int            `dynamodbav:"desiredCount"`
	RunningCount           int            `dynamodbav:"runningCount"`
	CloneConfigurationFrom string         `dynamodbav:"cloneConfigurationFrom,omitempty"`
	ImageSuffix            string         `dynamodbav:"imageSuffix,omitempty"`
	Variables              []variableItem `dynamodbav:"variables,omitempty"`
	MergeEnvironment       bool           `dynamodbav:"mergeEnvironment,omitempty"`
	Secrets                []secretItem   `dynamodbav:"secrets,omitempty"`
	Volumes                []volumeItem   `dynamodbav:"volumes,omitempty"`
	provisioningItem
	rolloutsItem
	Version   int64     `dynamodbav:"version"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
}

// rolloutsItem is apps.Rollouts as stored on the environment item.
type rolloutsItem struct {
	Release        int    `dynamodbav:"release,omitempty"`
	LastRelease    int    `dynamodbav:"lastRelease,omitempty"`
	LastDeployment int    `dynamodbav:"lastDeployment,omitempty"`
	Deploying      int    `dynamodbav:"deploying"`
	Stopped        bool   `dynamodbav:"stopped,omitempty"`
	StoppedCount   int    `dynamodbav:"stoppedCount,omitempty"`
	FailureType    string `dynamodbav:"failureType,omitempty"`
	FailureReason  string `dynamodbav:"failureReason,omitempty"`
}

// secretItem is one secret variable: its name and version, never its value.
type secretItem struct {
	Name      string    `dynamodbav:"name"`
	Version   int       `dynamodbav:"version"`
	ValueFrom string    `dynamodbav:"valueFrom"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
}

func toSecretItems(ss []apps.SecretVariable) []secretItem {
	var out []secretItem
	for _, s := range ss {
		out = append(out, secretItem(s))
	}
	return out
}

func secretRecords(its []secretItem) []apps.SecretVariable {
	var out []apps.SecretVariable
	for _, it := range its {
		out = append(out, apps.SecretVariable(it))
	}
	return out
}

// variableItem is one variable; an empty value is stored empty.
type variableItem struct {
	Name  string `dynamodbav:"name"`
	Value string `dynamodbav:"value"`
}

func toVariableItems(vs []compose.EnvVar) []variableItem {
	var out []variableItem
	for _, v := range vs {
		out = append(out, variableItem{Name: v.Name, Value: derefString(v.Value)})
	}
	return out
}

func variableRecords(vs []variableItem) []compose.EnvVar {
	var out []compose.EnvVar
	for _, v := range vs {
		out = append(out, compose.EnvVar{Name: v.Name, Value: &v.Value})
	}
	return out
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func toApplicationItem(a apps.Application) (applicationItem, error) {
	doc, err := json.Marshal(a.Compose)
	if err != nil {
		return applicationItem{}, fmt.Errorf("encode compose definition: %w", err)
	}
	it := applicationItem{
		PK: applicationPK(a.Organisation, a.Name), SK: applicationSK,
		GSI1PK: orgKey(a.Organisation), GSI1SK: applicationGSI1SK(a.Name),
		Kind: "application", Organisation: a.Organisation, Name: a.Name, UID: a.UID, FirstEnvironment: a.FirstEnvironment, Label: a.Label,
		Status: string(a.Status), Compose: string(doc),
		MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity, Variables: toVariableItems(a.Variables),
		Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		provisioningItem: toProvisioningItem(a.Provisioning),
	}
	if d := a.Database; d != nil {
		it.Database = &databaseItem{d.Engine, d.InstanceClass, d.StorageGB, d.MultiAZ, d.Identifier, d.Endpoint, d.Status}
	}
	if f := a.Filesystem; f != nil {
		it.Filesystem = &filesystemItem{f.MountPath, f.FilesystemID}
	}
	for _, d := range a.Deployments {
		it.Deployments = append(it.Deployments, deploymentItem{d.DeploymentID, d.Environment, d.TaskDefinitionARN, d.CreatedAt, d.Status, d.ImageTag})
	}
	return it, nil
}

func (it applicationItem) record() (apps.Application, error) {
	a := apps.Application{
		Organisation: it.Organisation, Name: it.Name, UID: it.UID, FirstEnvironment: it.FirstEnvironment, Label: it.Label, Status: apps.Status(it.Status),
		MinCapacity: it.MinCapacity, MaxCapacity: it.MaxCapacity, Variables: variableRecords(it.Variables),
		Version: it.Version, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		Provisioning: it.provisioningItem.record(),
	}
	if err := decodeCompose(it.Compose, &a.Compose); err != nil {
		return apps.Application{}, fmt.Errorf("application %q: %w", it.Name, err)
	}
	if d := it.Database; d != nil {
		a.Database = &apps.Database{Engine: d.Engine, InstanceClass: d.InstanceClass, StorageGB: d.StorageGB,
			MultiAZ: d.MultiAZ, Identifier: d.Identifier, Endpoint: d.Endpoint, Status: d.Status}
	}
	if f := it.Filesystem; f != nil {
		a.Filesystem = &apps.Filesystem{MountPath: f.MountPath, FilesystemID: f.FilesystemID}
	}
	for _, d := range it.Deployments {
		a.Deployments = append(a.Deployments, apps.Deployment{DeploymentID: d.DeploymentID, Environment: d.Environment,
			TaskDefinitionARN: d.TaskDefinitionARN, CreatedAt: d.CreatedAt, Status: d.Status, ImageTag: d.ImageTag})
	}
	return a, nil
}

func toEnvironmentItem(e apps.Environment) (environmentItem, error) {
	doc, err := json.Marshal(e.Compose)
	if err != nil {
		return environmentItem{}, fmt.Errorf("encode compose definition: %w", err)
	}
	return environmentItem{
		PK: applicationPK(e.Organisation, e.Application), SK: environmentSK(e.Name),
		GSI1PK: environmentGSI1PK(e.Organisation, e.Name), GSI1SK: applicationGSI1SK(e.Application),
		Kind: "environment", Organisation: e.Organisation, Application: e.Application, Name: e.Name,
		UID: e.UID, Status: string(e.Status), DeploymentStatus: e.DeploymentStatus, Compose: string(doc),
		MinCapacity: e.MinCapacity, MaxCapacity: e.MaxCapacity, DesiredCount: e.DesiredCount, RunningCount: e.RunningCount,
		CloneConfigurationFrom: e.CloneConfigurationFrom, ImageSuffix: e.ImageSuffix,
		Variables: toVariableItems(e.Variables), MergeEnvironment: e.MergeEnvironment, Secrets: toSecretItems(e.Secrets),
		Volumes: toVolumeItems(e.Volumes), Version: e.Version, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		provisioningItem: toProvisioningItem(e.Provisioning),
		rolloutsItem:     rolloutsItem(e.Rollouts),
	}, nil
}

func (it environmentItem) record() (apps.Environment, error) {
	e := apps.Environment{
		Organisation: it.Organisation, Application: it.Application, Name: it.Name, UID: it.UID,
		Status: apps.Status(it.Status), DeploymentStatus: it.DeploymentStatus,
		MinCapacity: it.MinCapacity, MaxCapacity: it.MaxCapacity, DesiredCount: it.DesiredCount, RunningCount: it.RunningCount,
		CloneConfigurationFrom: it.CloneConfigurationFrom, ImageSuffix: it.ImageSuffix,
		Variables: variableRecords(it.Variables), MergeEnvironment: it.MergeEnvironment, Secrets: secretRecords(it.Secrets),
		Volumes: volumeRecords(it.Volumes), Version: it.Version, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		Provisioning: it.provisioningItem.record(),
		Rollouts:     apps.Rollouts(it.rolloutsItem),
	}
	if err := decodeCompose(it.Compose, &e.Compose); err != nil {
		return apps.Environment{}, fmt.Errorf("environment %q: %w", it.Name, err)
	}
	return e, nil
}

func decodeCompose(doc string, d *compose.Definition) error {
	if err := json.Unmarshal([]byte(doc), d); err != nil {
		return fmt.Errorf("decode compose definition: %w", err)
	}
	return nil
}
