// Package composefile is the port for translating a docker-compose file
// into Berth's compose definition (package compose): the Translator, its
// Options, Result and Error. Package composego implements it with
// compose-spec/compose-go.
package composefile

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// MaxBytes bounds a compose file: the API caps a whole body at 64 KiB.
const MaxBytes = 64 << 10

// Result is a translation that Berth's compose rules accept.
type Result struct {
	// Definition is the translated definition, as a create-application
	// request would send it: defaults are left to Berth.
	Definition compose.Definition
	// Warnings name what the translation left out or changed, by service.
	Warnings []string
}

// Error is a compose file that cannot be translated.
type Error struct {
	// Syntax is set when the file is not a valid compose file: the
	// parser's reason.
	Syntax string
	// Fields are the rules broken, keyed by the compose file's path
	// (services.web.privileged, services.web.healthcheck.interval), or
	// "services" for the services as a whole.
	Fields validation.Errors
}

func (e *Error) Error() string {
	if e.Syntax != "" {
		return "not a valid compose file: " + e.Syntax
	}
	return "compose file cannot be translated: " + strings.Join(e.Fields.Fields(), ", ")
}

// Options adjust a translation.
type Options struct {
	// ImageSuffix, when set, points every internal image at the tag
	// {container}-{suffix} (compose.Definition.ApplyImageSuffix).
	ImageSuffix string
	// FilesystemMountPath is where the application filesystem is mounted,
	// for the mount rules; apps.DefaultMountPath when empty.
	FilesystemMountPath string
}

// Translator parses a compose file and translates it; it returns *Error
// when src is not a valid compose file or its translation breaks a rule.
// composego.Translate is the one implementation: it links compose-go, so
// only the function that serves validate-compose imports it, and the
// others keep compose-go's init (a JSON schema compiled at start) out of
// their cold start.
type Translator func(ctx context.Context, src []byte, opts Options) (Result, error)
