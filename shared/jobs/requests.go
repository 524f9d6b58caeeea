package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/schedule"
	"github.com/berth-dev/berth/shared/validation"
)

// Limits on what a job may hold: ECS takes at most 8 KiB of overrides.
const (
	MaxCommandBytes   = 4096
	MaxCommandArgs    = 64
	MaxDescription    = 512
	MaxCronJobs       = 25
	maxContainerName  = 255
	shellCommandField = "command"
)

// CommandLine is a command as a request gives it: a string (run with
// sh -c) or an array of strings (the exec form).
type CommandLine struct {
	Args  []string
	Shell bool
	set   bool
}

// UnmarshalJSON accepts a string or an array of strings.
func (c *CommandLine) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = CommandLine{Args: []string{s}, Shell: true, set: true}
		return nil
	}
	var args []string
	if err := json.Unmarshal(b, &args); err != nil {
		return fmt.Errorf("command: must be a string or an array of strings")
	}
	*c = CommandLine{Args: args, set: true}
	return nil
}

// ShapeRule accepts a string, or an array of strings.
func (*CommandLine) ShapeRule(doc any) string {
	switch v := doc.(type) {
	case string:
		return ""
	case []any:
		for _, a := range v {
			if _, ok := a.(string); !ok {
				return "must be a string, or an array of strings"
			}
		}
		return ""
	}
	return "must be a string (run with sh -c), or an array of strings (run as given)"
}

// MarshalJSON writes the command back as it was given.
func (c CommandLine) MarshalJSON() ([]byte, error) {
	if c.Shell && len(c.Args) == 1 {
		return json.Marshal(c.Args[0])
	}
	return json.Marshal(c.Args)
}

// CommandRequest is the body of POST .../commands.
type CommandRequest struct {
	Command             *CommandLine `json:"command"`
	TargetContainerName *string      `json:"targetContainerName"`
	TimeoutSeconds      *int         `json:"timeoutSeconds"`
}

// CronRequest is the body of POST .../cron, and of its PATCH, where every
// field is optional and name cannot change.
type CronRequest struct {
	Name                *string   `json:"name"`
	Description         *string   `json:"description"`
	ScheduleExpression  *string   `json:"scheduleExpression"`
	Command             *[]string `json:"command"`
	TargetContainerName *string   `json:"targetContainerName"`
	IsEnabled           *bool     `json:"isEnabled"`
	TimeoutSeconds      *int      `json:"timeoutSeconds"`
}

// checkCommand checks a command's words, in either form.
func checkCommand(field string, args []string, shell bool, errs validation.Errors) {
	total := 0
	for i, a := range args {
		total += len(a)
		at := field
		if !shell {
			at = validation.Index(field, i)
		}
		switch {
		case !utf8.ValidString(a) || strings.ContainsRune(a, 0):
			errs.Add(at, "must be UTF-8 text without NUL characters")
			return
		case shell && strings.TrimSpace(a) == "":
			errs.Add(at, "must not be empty")
			return
		case !shell && i == 0 && a == "":
			errs.Add(at, "must name the program to run")
			return
		}
	}
	switch {
	case len(args) == 0:
		errs.Add(field, "must not be empty: give a string, run with sh -c, or an array of strings, such as [\"php\", \"artisan\", \"migrate\"]")
	case len(args) > MaxCommandArgs:
		errs.Addf(field, "must have at most %d arguments; got %d", MaxCommandArgs, len(args))
	case total > MaxCommandBytes:
		errs.Addf(field, "must be at most %d bytes in all; got %d", MaxCommandBytes, total)
	}
}

// checkTimeout reads timeoutSeconds: DefaultTimeout when unset.
func checkTimeout(p *int, errs validation.Errors) time.Duration {
	if p == nil {
		return DefaultTimeout
	}
	if d := time.Duration(*p) * time.Second; *p < int(MinTimeout/time.Second) || d > MaxTimeout {
		errs.Addf("timeoutSeconds", "must be from %d to %d (24 hours); got %d", int(MinTimeout/time.Second), int(MaxTimeout/time.Second), *p)
		return 0
	}
	return time.Duration(*p) * time.Second
}

// TargetContainer is the container a job runs in: the named one, or the
// environment's first essential container.
func TargetContainer(d compose.Definition, name *string, errs validation.Errors) string {
	if name != nil && *name != "" {
		for _, c := range d.Containers {
			if c.Name == *name {
				return c.Name
			}
		}
		names := make([]string, 0, len(d.Containers))
		for _, c := range d.Containers {
			names = append(names, c.Name)
		}
		n := *name
		if len(n) > maxContainerName {
			n = n[:maxContainerName]
		}
		errs.Addf("targetContainerName", "must name a container of the environment (%s); got %q", strings.Join(names, ", "), n)
		return ""
	}
	for _, c := range d.Containers {
		if c.Essential == nil || *c.Essential {
			return c.Name
		}
	}
	errs.Add("targetContainerName", "is required: the environment has no essential container to default to")
	return ""
}

// checkExpression checks a schedule expression.
func checkExpression(p *string, errs validation.Errors) string {
	if p == nil || strings.TrimSpace(*p) == "" {
		errs.Add("scheduleExpression", "is required: cron(minutes hours day-of-month month day-of-week year) or rate(value unit), such as rate(5 minutes)")
		return ""
	}
	e, err := schedule.Parse(*p)
	if err != nil {
		errs.Add("scheduleExpression", err.Error())
		return ""
	}
	return e.String()
}

// checkCronName checks a cron job's name: it names its schedule too.
func checkCronName(p *string, errs validation.Errors) string {
	switch {
	case p == nil || *p == "":
		errs.Add("name", "is required")
	case !apps.ValidName(*p):
		errs.Add("name", "must be 1 to 40 characters of a-z, 0-9 and -, starting and ending with a letter or digit")
	default:
		return *p
	}
	return ""
}

func checkDescription(p *string, errs validation.Errors) string {
	if p == nil {
		return ""
	}
	if utf8.RuneCountInString(*p) > MaxDescription || !utf8.ValidString(*p) {
		errs.Addf("description", "must be UTF-8 text of at most %d characters", MaxDescription)
		return ""
	}
	return *p
}
