package apps

import (
	"slices"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Name rules. Application and environment names become parts of AWS
// resource names (ECS services, RDS identifiers, ALB host names), so they
// follow DNS-label rules and stay short enough to combine.
const (
	MaxNameLength         = 40
	MaxOrganisationLength = 63
	DefaultEngine         = "mysql"
	DefaultInstanceClass  = "db.t4g.micro"
	DefaultStorageGB      = 20
	MinStorageGB          = 20
	MaxStorageGB          = 65536
	DefaultMountPath      = "/mnt/data"
	maxImageTagLength     = 128
	// MaxEnvironments bounds an application's environments, which its GET
	// reads and returns whole.
	MaxEnvironments = 50
)

var (
	dnsLabelRE      = pattern.Compile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	instanceClassRE = pattern.Compile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
)

// ValidName reports whether s is a valid application or environment name.
func ValidName(s string) bool {
	return len(s) <= MaxNameLength && dnsLabelRE.MatchString(s)
}

// ValidOrganisation reports whether s is a valid organisation name.
func ValidOrganisation(s string) bool {
	return len(s) <= MaxOrganisationLength && dnsLabelRE.MatchString(s)
}

const nameRule = "must be 1 to 40 characters of a-z, 0-9 and -, starting and ending with a letter or digit"

// CheckName records a broken name rule for the field at path.
func CheckName(errs validation.Errors, path, name string) {
	switch {
	case name == "":
		errs.Add(path, "is required")
	case !ValidName(name):
		errs.Add(path, nameRule)
	}
}

// EcrLoginSegment is the literal last segment of the path of GET
// /applications/ecr-login, which takes the place of an application name.
const EcrLoginSegment = "ecr-login"

// reservedNames are the application names that are literal segments of
// the API's paths: the literal route wins over /applications/{application},
// so an application so named could never be read.
var reservedNames = []string{EcrLoginSegment}

// Reserved reports whether name may not name an application.
func Reserved(name string) bool { return slices.Contains(reservedNames, name) }

// CheckApplicationName is CheckName for a new application's name, which
// must also not be reserved.
func CheckApplicationName(errs validation.Errors, path, name string) {
	CheckName(errs, path, name)
	if Reserved(name) {
		errs.Add(path, "is reserved: "+name+" is a path of the API")
	}
}

// CreateApplicationRequest is the body of POST /applications.
type CreateApplicationRequest struct {
	AppName           string              `json:"appName"`
	ComposeDefinition *compose.Definition `json:"composeDefinition"`
	MinCapacity       *int                `json:"minCapacity"`
	MaxCapacity       *int                `json:"maxCapacity"`
	Database          *DatabaseRequest    `json:"database"`
	Filesystem        *FilesystemRequest  `json:"filesystem"`
	// Environment holds the initial variables.
	Environment []compose.EnvVar `json:"environment"`
	// FirstEnvironment names the first environment instead of production,
	// and Stopped creates it stopped: for other dialects, whose apps live
	// in a named space and may be created stopped. Quant's body sets neither.
	FirstEnvironment string `json:"-"`
	Stopped          bool   `json:"-"`
	// Label is another dialect's name for it (Application.Label).
	Label string `json:"-"`
}

// DatabaseRequest asks for an RDS instance.
type DatabaseRequest struct {
	Engine        *string `json:"engine"`
	InstanceClass *string `json:"instanceClass"`
	StorageGB     *int    `json:"storageGb"`
	MultiAZ       *bool   `json:"multiAz"`
}

// FilesystemRequest asks for a shared EFS filesystem.
type FilesystemRequest struct {
	Required  *bool   `json:"required"`
	MountPath *string `json:"mountPath"`
}

// CreateEnvironmentRequest is the body of POST /environments.
type CreateEnvironmentRequest struct {
	EnvName                string              `json:"envName"`
	MinCapacity            *int                `json:"minCapacity"`
	MaxCapacity            *int                `json:"maxCapacity"`
	CloneConfigurationFrom *string             `json:"cloneConfigurationFrom"`
	ComposeDefinition      *compose.Definition `json:"composeDefinition"`
	ImageSuffix            *string             `json:"imageSuffix"`
	// SpotConfiguration, when sent, is the environment's, over the compose definition's.
	SpotConfiguration *compose.SpotConfiguration `json:"spotConfiguration"`
	// Environment holds the initial variables; MergeEnvironment lays them
	// over the clone source's instead of replacing them.
	Environment      []compose.EnvVar `json:"environment"`
	MergeEnvironment *bool            `json:"mergeEnvironment"`
	// Stopped creates the environment stopped, with no task running until
	// a start: for other dialects. Quant's body cannot set it.
	Stopped bool `json:"-"`
}

func (r *DatabaseRequest) database(errs validation.Errors) *Database {
	if r == nil {
		return nil
	}
	db := &Database{Engine: DefaultEngine, InstanceClass: DefaultInstanceClass, StorageGB: DefaultStorageGB}
	if r.Engine != nil {
		db.Engine = *r.Engine
		if db.Engine != "mysql" && db.Engine != "postgres" {
			errs.Add("database.engine", "must be one of mysql, postgres")
		}
	}
	if r.InstanceClass != nil {
		db.InstanceClass = *r.InstanceClass
		if len(db.InstanceClass) > 64 || !instanceClassRE.MatchString(db.InstanceClass) {
			errs.Add("database.instanceClass", "must be an RDS instance class such as db.t4g.micro")
		}
	}
	if r.StorageGB != nil {
		db.StorageGB = *r.StorageGB
		if db.StorageGB < MinStorageGB || db.StorageGB > MaxStorageGB {
			errs.Addf("database.storageGb", "must be between %d and %d", MinStorageGB, MaxStorageGB)
		}
	}
	if r.MultiAZ != nil {
		db.MultiAZ = *r.MultiAZ
	}
	return db
}

func (r *FilesystemRequest) filesystem(errs validation.Errors) *Filesystem {
	if r == nil || r.Required != nil && !*r.Required {
		if r != nil && r.MountPath != nil {
			errs.Add("filesystem.mountPath", "must be left out when filesystem.required is false")
		}
		return nil
	}
	fs := &Filesystem{MountPath: DefaultMountPath}
	if r.MountPath != nil {
		fs.MountPath = *r.MountPath
		if !compose.CleanAbsolutePath(fs.MountPath) {
			errs.Add("filesystem.mountPath", "must be a clean absolute path other than /")
		}
	}
	return fs
}

// capacity resolves a task count: the request's top level wins over the
// compose definition's, and 1 is the default.
func capacity(top, inCompose *int) int {
	switch {
	case top != nil:
		return *top
	case inCompose != nil:
		return *inCompose
	}
	return 1
}
