package cfv2

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// CF v2's defaults for a new app, and Fargate's disk.
const (
	DefaultMemory    = 1024
	DefaultInstances = 1
	DefaultPort      = 8080
	// DiskQuota is the disk every instance has: Fargate's 20 GiB of
	// ephemeral storage. A disk_quota up to it is met; above it, refused.
	DiskQuota      = 20 * 1024
	maxCommand     = 4096
	maxMemory      = 120 * 1024 // Fargate's largest task
	maxHealthStart = 300        // ECS's longest health check start period
	maxPorts       = 10
	maxImage       = 1024
	maxVariables   = 100  // compose's most list items
	maxValue       = 4096 // compose's longest string
)

// Health check types.
const (
	HealthPort    = "port"
	HealthProcess = "process"
	HealthNone    = "none"
	HealthHTTP    = "http"
)

// States.
const (
	StateStarted = "STARTED"
	StateStopped = "STOPPED"
)

// AppRequest is the body of POST /v2/apps and PUT /v2/apps/:guid. Fields
// CF keeps for its own runtime (diego, production, console, debug,
// stack_guid) are accepted and have no effect.
type AppRequest struct {
	Name                    *string         `json:"name"`
	SpaceGUID               *string         `json:"space_guid"`
	DockerImage             *string         `json:"docker_image"`
	DockerCredentials       *Credentials    `json:"docker_credentials"`
	EnvironmentJSON         *map[string]any `json:"environment_json"`
	Memory                  *int            `json:"memory"`
	Instances               *int            `json:"instances"`
	DiskQuota               *int            `json:"disk_quota"`
	State                   *string         `json:"state"`
	Command                 *string         `json:"command"`
	HealthCheckType         *string         `json:"health_check_type"`
	HealthCheckTimeout      *int            `json:"health_check_timeout"`
	HealthCheckHTTPEndpoint *string         `json:"health_check_http_endpoint"`
	Ports                   *[]int          `json:"ports"`
	Buildpack               *string         `json:"buildpack"`
}

// Credentials are a private registry's login.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// fields names CF's field for Berth's.
var fields = map[string]string{
	"appName": "name", "environment": "environment_json", "imageReference": "docker_image",
	"memory": "memory", "command": "command", "exposedPorts": "ports", "healthCheck": "health_check_type",
	"minCapacity": "instances", "maxCapacity": "instances",
}

// DecodeApp reads an app body and checks the rules every use has.
func DecodeApp(body []byte) (AppRequest, error) {
	var r AppRequest
	if err := dialect.Decode(body, &r); err != nil {
		return AppRequest{}, err
	}
	errs := validation.Errors{}
	r.check(errs)
	return r, errs.Err()
}

func (r AppRequest) check(errs validation.Errors) {
	if r.DockerCredentials != nil && (r.DockerCredentials.Username != "" || r.DockerCredentials.Password != "") {
		errs.Add("docker_credentials", "are not supported: Berth pulls public images, and images pushed to the application's own ECR repository (see README, \"Other dialects\")")
	}
	if r.Memory != nil && (*r.Memory < 6 || *r.Memory > maxMemory) {
		errs.Addf("memory", "must be between 6 and %d megabytes; got %d", maxMemory, *r.Memory)
	}
	if r.Instances != nil && (*r.Instances < 1 || *r.Instances > compose.MaxCapacity) {
		errs.Addf("instances", "must be between 1 and %d (stop the app to run none); got %d", compose.MaxCapacity, *r.Instances)
	}
	if r.DiskQuota != nil && (*r.DiskQuota < 1 || *r.DiskQuota > DiskQuota) {
		errs.Addf("disk_quota", "must be between 1 and %d megabytes, the disk every Fargate task has; got %d", DiskQuota, *r.DiskQuota)
	}
	if r.State != nil && *r.State != StateStarted && *r.State != StateStopped {
		errs.Addf("state", "must be STARTED or STOPPED; got %q", *r.State)
	}
	if r.Command != nil && len(*r.Command) > maxCommand {
		errs.Addf("command", "must be at most %d characters; got %d", maxCommand, len(*r.Command))
	}
	if r.HealthCheckType != nil && !slices.Contains([]string{HealthPort, HealthProcess, HealthNone, HealthHTTP}, *r.HealthCheckType) {
		errs.Addf("health_check_type", "must be one of port, process, none, http; got %q", *r.HealthCheckType)
	}
	if r.HealthCheckTimeout != nil && (*r.HealthCheckTimeout < 0 || *r.HealthCheckTimeout > maxHealthStart) {
		errs.Addf("health_check_timeout", "must be between 0 and %d seconds; got %d", maxHealthStart, *r.HealthCheckTimeout)
	}
	if e := r.HealthCheckHTTPEndpoint; e != nil && (!strings.HasPrefix(*e, "/") || len(*e) > 255 || strings.ContainsAny(*e, " '\"\\`$;&|<>()#\n\r\t")) {
		errs.Add("health_check_http_endpoint", "must be a path starting with '/', at most 255 characters, without spaces, quotes or shell characters")
	}
	if r.Buildpack != nil && *r.Buildpack != "" {
		errs.Add("buildpack", "is not supported: Berth runs the app's docker_image; staging from source with a buildpack is not (send buildpack empty or leave it out)")
	}
	if r.DockerImage != nil && (len(*r.DockerImage) > maxImage || strings.ContainsAny(*r.DockerImage, " \t\r\n")) {
		errs.Addf("docker_image", "must be an image name without spaces, at most %d characters", maxImage)
	}
	if r.EnvironmentJSON != nil {
		checkEnvironment(*r.EnvironmentJSON, errs)
	}
	if r.Ports != nil {
		if len(*r.Ports) > maxPorts {
			errs.Addf("ports", "must list at most %d ports; got %d", maxPorts, len(*r.Ports))
		}
		for i, p := range *r.Ports {
			if p < 1 || p > 65535 {
				errs.Addf(fmt.Sprintf("ports[%d]", i), "must be between 1 and 65535; got %d", p)
			}
		}
	}
}

// envName is a variable name Berth runs (compose's rule).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkEnvironment holds environment_json to CF's rules (no PORT, no
// VCAP_ or VMC_ names, which CF sets itself) and Berth's (names a shell
// can read, at most 100 of them, values of at most 4096 bytes).
func checkEnvironment(env map[string]any, errs validation.Errors) {
	if len(env) > maxVariables {
		errs.Addf("environment_json", "must hold at most %d variables; got %d", maxVariables, len(env))
	}
	for k, v := range env {
		f := "environment_json." + k
		upper := strings.ToUpper(k)
		switch {
		case upper == "PORT" || strings.HasPrefix(upper, "VCAP_") || strings.HasPrefix(upper, "VMC_"):
			errs.Add(f, "is reserved: Cloud Foundry sets PORT, VCAP_ and VMC_ variables itself")
		case len(k) > 255 || !envName.MatchString(k):
			errs.Add(f, "must be a name matching ^[A-Za-z_][A-Za-z0-9_]*$, at most 255 characters")
		}
		if s, ok := value(v); ok && len(s) > maxValue {
			errs.Addf(f, "must be at most %d bytes; got %d", maxValue, len(s))
		}
	}
}

// value is a variable's value as the app sees it: strings as they are,
// anything else as its JSON text (CF hands apps the same).
func value(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case nil:
		return "", true
	default:
		b, err := json.Marshal(x) // values decoded from JSON marshal back
		return string(b), err == nil
	}
}

// Variables are environment_json as Berth's variables: strings as they
// are, anything else as its JSON text (CF hands apps the same).
func variables(env map[string]any) []compose.EnvVar {
	out := make([]compose.EnvVar, 0, len(env))
	for k, v := range env {
		s, _ := value(v)
		out = append(out, compose.EnvVar{Name: k, Value: &s})
	}
	slices.SortFunc(out, func(a, b compose.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Spec is the create's Berth spec: CF's defaults for what it leaves out.
func (r AppRequest) Spec() (dialect.Spec, error) {
	errs := validation.Errors{}
	if r.Name == nil || *r.Name == "" {
		errs.Add("name", "is required")
	}
	if r.SpaceGUID == nil || *r.SpaceGUID == "" {
		errs.Add("space_guid", "is required: the guid of a space (GET or POST /v2/spaces)")
	}
	if r.DockerImage == nil || *r.DockerImage == "" {
		errs.Add("docker_image", "is required: Berth runs container images; staging from source with a buildpack is not supported")
	}
	if err := errs.Err(); err != nil {
		return dialect.Spec{}, err
	}
	c := compose.Container{ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: *r.DockerImage}}
	mem, n := DefaultMemory, DefaultInstances
	if r.Memory != nil {
		mem = *r.Memory
	}
	if r.Instances != nil {
		n = *r.Instances
	}
	c.Memory = &mem
	c.ExposedPorts = []int{DefaultPort}
	r.apply(&c)
	var vars []compose.EnvVar
	if r.EnvironmentJSON != nil {
		vars = variables(*r.EnvironmentJSON)
	}
	return dialect.Spec{
		Name: *r.Name, Field: "name", Container: c, Variables: vars,
		MinCapacity: &n, MaxCapacity: &n, Started: r.State != nil && *r.State == StateStarted, Fields: fields,
	}, nil
}

// apply lays the container fields sent over c.
func (r AppRequest) apply(c *compose.Container) {
	if r.DockerImage != nil && *r.DockerImage != "" {
		c.ImageReference = &compose.ImageReference{Type: compose.ImageExternal, Identifier: *r.DockerImage}
	}
	if r.Memory != nil {
		c.Memory = r.Memory
	}
	if r.Command != nil {
		c.Command = nil
		if *r.Command != "" {
			// CF runs a command through a shell, as 'rails s -p $PORT' needs.
			c.Command = []string{"/bin/sh", "-c", *r.Command}
		}
	}
	if r.Ports != nil {
		c.ExposedPorts = slices.Clone(*r.Ports)
	}
	_, ours := endpointOf(c.HealthCheck)
	if r.HealthCheckType != nil || r.HealthCheckHTTPEndpoint != nil || r.HealthCheckTimeout != nil || (r.Ports != nil && ours) {
		// An http check follows the app's first port when ports change.
		c.HealthCheck = healthCheck(r, *c)
	}
}

// healthCheck is the ECS health check for CF's type: an http check
// fetches the endpoint on the app's first port from inside the container
// (its image needs wget); port checks are the load balancer's own, and
// process and none have none.
func healthCheck(r AppRequest, c compose.Container) *compose.HealthCheck {
	kind := HealthPort
	if r.HealthCheckType != nil {
		kind = *r.HealthCheckType
	} else if c.HealthCheck != nil {
		kind = HealthHTTP
	}
	if kind != HealthHTTP {
		return nil
	}
	endpoint, port := "/", DefaultPort
	if r.HealthCheckHTTPEndpoint != nil {
		endpoint = *r.HealthCheckHTTPEndpoint
	} else if e, ok := endpointOf(c.HealthCheck); ok {
		endpoint = e
	}
	if len(c.ExposedPorts) > 0 {
		port = c.ExposedPorts[0]
	}
	h := &compose.HealthCheck{Command: []string{"CMD-SHELL", fmt.Sprintf("wget -q -O /dev/null http://localhost:%d%s || exit 1", port, endpoint)}}
	if r.HealthCheckTimeout != nil {
		h.StartPeriod = r.HealthCheckTimeout
	} else if c.HealthCheck != nil {
		h.StartPeriod = c.HealthCheck.StartPeriod
	}
	return h
}

// endpointOf reads the endpoint back out of an http check healthCheck made.
func endpointOf(h *compose.HealthCheck) (string, bool) {
	if h == nil || len(h.Command) != 2 || h.Command[0] != "CMD-SHELL" {
		return "", false
	}
	rest, ok := strings.CutPrefix(h.Command[1], "wget -q -O /dev/null http://localhost:")
	if !ok {
		return "", false
	}
	i := strings.IndexByte(rest, '/')
	j := strings.Index(rest, " || exit 1")
	if i < 0 || j < i {
		return "", false
	}
	return rest[i:j], true
}

// Change is an update's Berth change, or, for a body that sends only
// state, none: a state change deploys nothing else, and a body may not
// mix the two, as one deployment cannot both start and reconfigure.
func (r AppRequest) Change() (*dialect.Change, error) {
	config := r.DockerImage != nil || r.Memory != nil || r.Instances != nil || r.Command != nil || r.Ports != nil ||
		r.HealthCheckType != nil || r.HealthCheckTimeout != nil || r.HealthCheckHTTPEndpoint != nil || r.EnvironmentJSON != nil
	if !config {
		return nil, nil
	}
	if r.State != nil {
		return nil, validation.Errors{"state": {"must be sent alone: change the state, then the rest, in two requests"}}
	}
	if r.DockerImage != nil && *r.DockerImage == "" {
		return nil, validation.Errors{"docker_image": {"must not be empty: Berth runs container images"}}
	}
	ch := &dialect.Change{Field: "environment_json", Fields: fields}
	if r.EnvironmentJSON != nil {
		vars := variables(*r.EnvironmentJSON)
		ch.Variables = &vars
	}
	ch.Edit = func(d *compose.Definition, c *compose.Container) error {
		r.apply(c)
		if r.Instances != nil {
			d.MinCapacity, d.MaxCapacity = r.Instances, r.Instances
		}
		return nil
	}
	return ch, nil
}
