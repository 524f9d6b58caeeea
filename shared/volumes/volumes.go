// Package volumes is an environment's volumes, as Quant's listVolumes,
// createVolume, getVolume and deleteVolume show them: EFS access points
// under the application's filesystem, each at its own root directory,
// which containers mount by name through compose mountPoints. The request
// and its rules live here; the records are on the environment (apps.Volume)
// and the access points reach the cloud through AccessPoints.
package volumes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// Limits, documented in the README and docs/openapi.yaml.
const (
	// MaxVolumes an environment may have: each is a mount every task of it
	// makes, and EFS allows 10,000 access points per filesystem.
	MaxVolumes = 20
	// MaxNameLength keeps the default root directory within EFS's 100.
	MaxNameLength = 64
	// MaxDescriptionLength is in characters.
	MaxDescriptionLength = 1024
	// MaxRootDirectoryLength and MaxRootDirectoryDepth are EFS's limits on
	// an access point's path.
	MaxRootDirectoryLength = 100
	MaxRootDirectoryDepth  = 4
)

var (
	nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	// A path component EFS accepts and a shell needs no quoting for; EFS
	// refuses components that start with '.'.
	componentRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*$`)
)

// Request is the body of POST .../volumes (createVolume_request).
type Request struct {
	VolumeName    *string `json:"volumeName"`
	Description   *string `json:"description"`
	RootDirectory *string `json:"rootDirectory"`
}

// Root is the directory of the filesystem that holds every environment's
// volumes: /_volumes/<environment>/. No environment's own directory
// (/<environment>, a DNS label) can be it, so no container reaches it
// through its data mount, and none can plant a link there that a volume's
// root would follow into another environment's files.
const Root = "/_volumes"

// Dir is the environment's directory of volumes.
func Dir(environment string) string { return Root + "/" + environment }

// DefaultRootDirectory is where a volume lives when the request names no
// root directory.
func DefaultRootDirectory(environment, name string) string {
	return Dir(environment) + "/" + name
}

// check applies the rules to a create request for environment and returns
// the volume it asks for.
func (r Request) check(environment string) (apps.Volume, error) {
	errs := validation.Errors{}
	var v apps.Volume
	switch n := r.VolumeName; {
	case n == nil || *n == "":
		errs.Add("volumeName", "is required")
	case len(*n) > MaxNameLength || !nameRE.MatchString(*n):
		errs.Addf("volumeName", "must be 1 to %d characters of A-Z, a-z, 0-9, '_' and '-'; got %q", MaxNameLength, clip(*n))
	case *n == compose.DataVolume:
		errs.Addf("volumeName", "%q is the application filesystem's own volume name; choose another", compose.DataVolume)
	default:
		v.Name = *n
	}
	if d := r.Description; d != nil {
		switch {
		case !utf8.ValidString(*d):
			errs.Add("description", "must be UTF-8 text")
		case utf8.RuneCountInString(*d) > MaxDescriptionLength:
			errs.Addf("description", "must be at most %d characters; got %d", MaxDescriptionLength, utf8.RuneCountInString(*d))
		default:
			v.Description = *d
		}
	}
	if r.RootDirectory != nil && *r.RootDirectory != "" {
		if rule := rootDirectoryRule(environment, *r.RootDirectory); rule != "" {
			errs.Addf("rootDirectory", "%s; got %q", rule, clip(*r.RootDirectory))
		} else {
			v.RootDirectory = *r.RootDirectory
		}
	} else if v.Name != "" {
		v.RootDirectory = DefaultRootDirectory(environment, v.Name)
		if len(v.RootDirectory) > MaxRootDirectoryLength {
			errs.Addf("volumeName", "makes the default root directory %s %d characters long, more than EFS's %d: choose a shorter name or give a rootDirectory",
				v.RootDirectory, len(v.RootDirectory), MaxRootDirectoryLength)
		}
	}
	return v, errs.Err()
}

// rootDirectoryRule is the rule dir breaks, or "" when it keeps them all.
// A volume stays inside its environment's directory of volumes, so that
// what one environment's volumes hold is never another's.
func rootDirectoryRule(environment, dir string) string {
	own := Dir(environment)
	rule := fmt.Sprintf("must be an absolute path under %s/ (environment %q's volumes on the application filesystem), of at most %d components "+
		"of A-Z, a-z, 0-9, '.', '_' and '-' not starting with '.', and at most %d characters", own, environment, MaxRootDirectoryDepth, MaxRootDirectoryLength)
	switch {
	case len(dir) > MaxRootDirectoryLength, !strings.HasPrefix(dir, own+"/"), path.Clean(dir) != dir:
		return rule
	}
	parts := strings.Split(strings.TrimPrefix(dir, "/"), "/")
	if len(parts) > MaxRootDirectoryDepth {
		return rule
	}
	for _, p := range parts {
		if !componentRE.MatchString(p) {
			return rule
		}
	}
	return ""
}

// clientToken makes creating the same volume again find the access point
// an earlier try created: one per environment record, name and directory.
func clientToken(env apps.Environment, v apps.Volume) string {
	sum := sha256.Sum256([]byte(env.UID + "/" + v.Name + "/" + v.RootDirectory))
	return "berth-volume-" + hex.EncodeToString(sum[:16])
}

// MountedBy lists the containers of d that mount the named volume.
func MountedBy(d compose.Definition, name string) []string {
	var out []string
	for _, c := range d.Containers {
		for _, m := range c.MountPoints {
			if m.SourceVolume == name {
				out = append(out, c.Name)
				break
			}
		}
	}
	return out
}

func find(vs []apps.Volume, name string) (apps.Volume, bool) {
	for _, v := range vs {
		if v.Name == name {
			return v, true
		}
	}
	return apps.Volume{}, false
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
