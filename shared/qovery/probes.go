package qovery

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// Healthchecks are Qovery's Kubernetes-style probes. ECS has one
// container health check, which replaces a task that fails it: the
// liveness probe becomes it, else the readiness probe (README, "Qovery").
type Healthchecks struct {
	ReadinessProbe *Probe `json:"readiness_probe"`
	LivenessProbe  *Probe `json:"liveness_probe"`
}

// Probe is one probe.
type Probe struct {
	Type                *ProbeType `json:"type"`
	InitialDelaySeconds *int       `json:"initial_delay_seconds"`
	PeriodSeconds       *int       `json:"period_seconds"`
	TimeoutSeconds      *int       `json:"timeout_seconds"`
	SuccessThreshold    *int       `json:"success_threshold"`
	FailureThreshold    *int       `json:"failure_threshold"`
}

// ProbeType sets how the probe checks; when it sets several, each must pass.
type ProbeType struct {
	TCP  *TCPProbe  `json:"tcp"`
	HTTP *HTTPProbe `json:"http"`
	Exec *ExecProbe `json:"exec"`
	GRPC *GRPCProbe `json:"grpc"`
}

type TCPProbe struct {
	Port *int    `json:"port"`
	Host *string `json:"host"`
}

type HTTPProbe struct {
	Path   *string `json:"path"`
	Scheme *string `json:"scheme"`
	Port   *int    `json:"port"`
}

type ExecProbe struct {
	Command []string `json:"command"`
}

type GRPCProbe struct {
	Service *string `json:"service"`
	Port    *int    `json:"port"`
}

// Qovery's probe defaults.
const (
	DefaultInitialDelay     = 30
	DefaultPeriod           = 10
	DefaultTimeout          = 5
	DefaultFailureThreshold = 3
	// LocalHost is where tcp, http and grpc probes connect: the task's
	// containers share one network namespace (awsvpc).
	LocalHost = "127.0.0.1"
)

// The lengths are checked apart: a counted repetition ({1,253}) compiles
// to a copy of its class per count, at every function's start (5 ms).
var (
	hostRE    = regexp.MustCompile(`^[A-Za-z0-9.:-]+$`)
	serviceRE = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	pathRE    = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$`)
)

// chosen is the probe that becomes the ECS health check, and its field.
func (h *Healthchecks) chosen() (*Probe, string) {
	switch {
	case h == nil:
		return nil, ""
	case h.LivenessProbe != nil:
		return h.LivenessProbe, "healthchecks.liveness_probe"
	case h.ReadinessProbe != nil:
		return h.ReadinessProbe, "healthchecks.readiness_probe"
	}
	return nil, ""
}

// healthCheck checks both probes and gives the ECS health check of the
// chosen one; nil when there is no probe.
func (h *Healthchecks) healthCheck(errs validation.Errors, p string) *compose.HealthCheck {
	if h.ReadinessProbe != nil {
		h.ReadinessProbe.check(errs, p+".readiness_probe")
	}
	if h.LivenessProbe != nil {
		h.LivenessProbe.check(errs, p+".liveness_probe")
	}
	probe, _ := h.chosen()
	if probe == nil || probe.Type == nil {
		return nil
	}
	return probe.healthCheck()
}

// field names a compose health check path as the request did.
func (h *Healthchecks) field(name string) string {
	_, p := h.chosen()
	switch name {
	case "interval":
		return p + ".period_seconds"
	case "timeout":
		return p + ".timeout_seconds"
	case "retries":
		return p + ".failure_threshold"
	case "startPeriod":
		return p + ".initial_delay_seconds"
	}
	return p + ".type"
}

func (pr *Probe) check(errs validation.Errors, p string) {
	if pr.Type == nil || pr.Type.TCP == nil && pr.Type.HTTP == nil && pr.Type.Exec == nil && pr.Type.GRPC == nil {
		errs.Add(p+".type", "must set one of tcp, http, exec, grpc")
	}
	if pr.SuccessThreshold != nil && *pr.SuccessThreshold != 1 {
		errs.Add(p+".success_threshold", "must be 1: an ECS health check counts one success as healthy")
	}
	port := func(field string, v *int) {
		if v == nil {
			errs.Add(field, "is required")
		} else if *v < 1 || *v > 65535 {
			errs.Add(field, "must be between 1 and 65535")
		}
	}
	if pr.Type == nil {
		return
	}
	t := pr.Type
	if t.TCP != nil {
		port(p+".type.tcp.port", t.TCP.Port)
		if t.TCP.Host != nil && *t.TCP.Host != "" && (len(*t.TCP.Host) > 253 || !hostRE.MatchString(*t.TCP.Host)) {
			errs.Add(p+".type.tcp.host", "must be a host name or IP address")
		}
	}
	if t.HTTP != nil {
		port(p+".type.http.port", t.HTTP.Port)
		if t.HTTP.Path != nil && (len(*t.HTTP.Path) > 1024 || !pathRE.MatchString(*t.HTTP.Path)) {
			errs.Add(p+".type.http.path", "must be an absolute URL path of at most 1024 characters, without spaces")
		}
		if t.HTTP.Scheme != nil && *t.HTTP.Scheme != "HTTP" && *t.HTTP.Scheme != "HTTPS" {
			errs.Add(p+".type.http.scheme", "must be HTTP or HTTPS")
		}
	}
	if t.Exec != nil {
		if len(t.Exec.Command) == 0 {
			errs.Add(p+".type.exec.command", "is required")
		}
		checkStrings(errs, p+".type.exec.command", t.Exec.Command)
	}
	if t.GRPC != nil {
		port(p+".type.grpc.port", t.GRPC.Port)
		if t.GRPC.Service != nil && *t.GRPC.Service != "" && (len(*t.GRPC.Service) > 255 || !serviceRE.MatchString(*t.GRPC.Service)) {
			errs.Add(p+".type.grpc.service", "must be a gRPC service name")
		}
	}
}

// healthCheck is the ECS health check of a checked probe: an exec probe
// alone runs its command (CMD); anything else runs a shell probe
// (CMD-SHELL) needing nc, curl or wget, or grpc_health_probe in the image.
func (pr *Probe) healthCheck() *compose.HealthCheck {
	hc := &compose.HealthCheck{
		StartPeriod: ptr(orDefault(pr.InitialDelaySeconds, DefaultInitialDelay)),
		Interval:    ptr(orDefault(pr.PeriodSeconds, DefaultPeriod)),
		Timeout:     ptr(orDefault(pr.TimeoutSeconds, DefaultTimeout)),
		Retries:     ptr(orDefault(pr.FailureThreshold, DefaultFailureThreshold)),
	}
	t := pr.Type
	if t.Exec != nil && t.TCP == nil && t.HTTP == nil && t.GRPC == nil {
		hc.Command = append([]string{"CMD"}, t.Exec.Command...)
		return hc
	}
	timeout := strconv.Itoa(*hc.Timeout)
	var parts []string
	if t.TCP != nil && t.TCP.Port != nil {
		host := LocalHost
		if t.TCP.Host != nil && *t.TCP.Host != "" {
			host = *t.TCP.Host
		}
		parts = append(parts, fmt.Sprintf("nc -z -w %s %s %d", timeout, host, *t.TCP.Port))
	}
	if t.HTTP != nil && t.HTTP.Port != nil {
		scheme, path := "http", "/"
		if t.HTTP.Scheme != nil && *t.HTTP.Scheme == "HTTPS" {
			scheme = "https"
		}
		if t.HTTP.Path != nil {
			path = *t.HTTP.Path
		}
		u := quote(fmt.Sprintf("%s://%s:%d%s", scheme, LocalHost, *t.HTTP.Port, path))
		parts = append(parts, fmt.Sprintf("(curl -fsSk -o /dev/null --max-time %s %s || wget -q --no-check-certificate -O /dev/null -T %s %s)", timeout, u, timeout, u))
	}
	if t.Exec != nil {
		q := make([]string, len(t.Exec.Command))
		for i, a := range t.Exec.Command {
			q[i] = quote(a)
		}
		parts = append(parts, "("+strings.Join(q, " ")+")")
	}
	if t.GRPC != nil && t.GRPC.Port != nil {
		probe := fmt.Sprintf("grpc_health_probe -addr=%s:%d -connect-timeout=%ss -rpc-timeout=%ss", LocalHost, *t.GRPC.Port, timeout, timeout)
		if t.GRPC.Service != nil && *t.GRPC.Service != "" {
			probe += " -service=" + quote(*t.GRPC.Service)
		}
		parts = append(parts, probe)
	}
	hc.Command = []string{"CMD-SHELL", strings.Join(parts, " && ")}
	return hc
}

// quote is s as one POSIX shell word.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
