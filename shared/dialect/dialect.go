// Package dialect is what Berth's other API dialects (Cloud Foundry v2 and
// v3, Qovery) share: how their routes render errors, how their ids name
// Berth's organisations, environment scopes and applications, and the one
// use-case layer (Service) that turns their requests into Berth's own.
//
// The model (README, "Other dialects"):
//
//	organisation            = a CF organization = a Qovery organization
//	  environment scope     = a CF space        = a Qovery environment
//	    application+env     = a CF app          = a Qovery container
//
// A scope is an environment name: every Berth environment of that name in
// the organisation is in it. A dialect's app is one Berth application's
// environment of the scope's name.
package dialect

import (
	"net/http"

	"github.com/berth-dev/berth/shared/validation"
)

// Dialect is one other system's API: its name (the group its functions
// deploy in) and its error shape.
type Dialect struct {
	// Name is short and DNS-safe: cfv2, cfv3, qovery.
	Name string
	// Render writes p in the dialect's own error shape.
	Render func(w http.ResponseWriter, p Problem)
}

// Problem is an error answer before a dialect shapes it.
type Problem struct {
	Status int
	// Slug is Berth's problem type (docs/errors.md): validation-failed,
	// not-found, conflict...
	Slug   string
	Title  string
	Detail string
	// Errors names each broken field and its rules.
	Errors    validation.Errors
	RequestID string
}
