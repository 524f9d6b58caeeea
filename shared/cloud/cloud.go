// Package cloud describes what Berth asks of the cloud, independent of
// any provider's API: the Cloud port, the specs the provisioning steps hand
// to it and the names they give resources. awscloud adapts it to AWS;
// sandbox implements it in memory for local runs and tests.
package cloud

import "github.com/berth-dev/berth/shared/compose"

// TaskSpec is everything an environment's task definition is built from.
type TaskSpec struct {
	// Family is the task definition family, deterministic per environment.
	Family  string
	Compose compose.Definition // normalized
	// ExecutionRoleARN lets ECS pull images, write logs and read secrets.
	ExecutionRoleARN string
	// LogGroup and Region are where the containers' logs go.
	LogGroup string
	Region   string
	// RepositoryURI is the application's image repository, for internal images.
	RepositoryURI string
	// SecretsARN is the environment's app-secrets secret, whose JSON keys
	// the containers' secrets name.
	SecretsARN string
	// Filesystem, when set, is mounted in every container at its MountPath.
	Filesystem *FilesystemMount
	// Volumes are the environment's own volumes its containers mount (by
	// Name, through their compose mountPoints).
	Volumes []VolumeMount
	// Database, when set, is passed to every container.
	Database *DatabaseConnection
	// Variables and Secrets are the environment's (shared/configuration):
	// every container gets each of them, unless it sets the same name
	// itself. A secret's value is never here: ECS reads it from ValueFrom.
	Variables []compose.EnvVar
	Secrets   []SecretRef
	Tags      Tags
}

// VolumeMount is one of an environment's volumes: an access point of the
// application's filesystem.
type VolumeMount struct {
	Name          string
	FilesystemID  string
	AccessPointID string
}

// SecretRef is a variable whose value ECS reads from Secrets Manager when
// the task starts: ValueFrom is the secret's ARN pinned to one version
// ("<arn>:::<version id>"), so a release always runs the values it was
// made with.
type SecretRef struct {
	Name      string
	ValueFrom string
}

// FilesystemMount is the application's EFS filesystem, seen through the
// environment's access point.
type FilesystemMount struct {
	FilesystemID  string
	AccessPointID string
	MountPath     string
}

// DatabaseConnection is how containers reach the application's database.
// The credentials stay in the secret RDS manages; Berth never sees them.
type DatabaseConnection struct {
	Host      string
	Port      int
	Name      string
	SecretARN string // the RDS-managed master user secret (JSON keys username, password)
}

// Database variables every container gets when the application has a
// database, unless the container sets the same name itself.
const (
	EnvDatabaseHost     = "DB_HOST"
	EnvDatabasePort     = "DB_PORT"
	EnvDatabaseName     = "DB_NAME"
	EnvDatabaseUser     = "DB_USER"
	EnvDatabasePassword = "DB_PASSWORD"
)
