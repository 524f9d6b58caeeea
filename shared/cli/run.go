package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/progress"
)

// command is a Command (or CronRun) of the API.
type command struct {
	RunID     string     `json:"runId"`
	Status    string     `json:"status"`
	ExitCode  *int       `json:"exitCode"`
	Output    []string   `json:"output"`
	Reason    string     `json:"reason"`
	StartTime *time.Time `json:"startTime"`
	EndTime   *time.Time `json:"endTime"`
	CreatedAt time.Time  `json:"createdAt"`
	Command   string     `json:"command"`
}

// shellQuote joins args into one sh command line, quoting each that
// needs it, so that `berth run -- echo "a b"` runs what it says.
func shellQuote(args []string) string {
	if len(args) == 1 {
		return args[0] // one argument is a script already: berth run -- 'a && b'
	}
	out := make([]string, len(args))
	for i, s := range args {
		if s != "" && strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) < 0 {
			out[i] = s
			continue
		}
		out[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

func (a *app) runCmd() *cobra.Command {
	var container string
	var exec bool
	var timeout int
	cmd := &cobra.Command{
		Use:   "run [--app APP] [--env ENV] -- COMMAND [ARG...]",
		Short: "Run a command in an environment, print its output and exit with its exit code",
		Long: `Runs the command once as a task of the environment (create-command) and waits for it.
The words run with sh -c, quoted where they need it (one word is taken as a script);
--exec runs them as given instead. Without --app, the environment is found by name across
the organisation's applications. berth exits with the command's exit code (124 when it timed
out, 1 when it failed without one).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			base := "/environments/" + url.PathEscape(a.environment())
			if a.appName == "" {
				a.appName = a.io.Getenv("BERTH_APP")
			}
			if a.appName != "" {
				base = "/applications/" + url.PathEscape(a.appName) + base
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{}
			if exec {
				body["command"] = args
			} else {
				body["command"] = shellQuote(args)
			}
			if container != "" {
				body["targetContainerName"] = container
			}
			if timeout > 0 {
				body["timeoutSeconds"] = timeout
			}
			ctx := cmd.Context()
			var created command
			resp, err := c.JSON(ctx, http.MethodPost, base+"/commands", body, &created)
			if err != nil {
				return err
			}
			if a.noWait {
				if a.json() {
					return a.printJSON(resp.Body)
				}
				fmt.Fprintf(a.io.Stdout, "command %s: %s\n", created.RunID, created.Status)
				return nil
			}
			path := base + "/commands/" + url.PathEscape(created.RunID)
			final, raw, err := a.watchCommand(ctx, c, path, "Running "+created.Command)
			if err != nil {
				return err
			}
			if a.json() {
				if err := a.printJSON(raw); err != nil {
					return err
				}
			} else {
				for _, line := range final.Output {
					fmt.Fprintln(a.io.Stdout, line)
				}
			}
			return commandExit(final, a)
		},
	}
	a.envFlags(cmd)
	cmd.Flags().StringVar(&container, "container", "", "the container to run in (default the first essential one)")
	cmd.Flags().BoolVar(&exec, "exec", false, "run the words as given (exec form), not with sh -c")
	cmd.Flags().IntVar(&timeout, "timeout", 0, "stop the command after this many seconds (default the API's, 3600)")
	return cmd
}

// commandExit is the exit a finished command gives berth.
func commandExit(final command, a *app) error {
	switch {
	case final.ExitCode != nil && *final.ExitCode != 0:
		return &ExitError{Code: *final.ExitCode}
	case final.Status == "TIMED_OUT":
		fmt.Fprintf(a.io.Stderr, "command %s timed out: %s\n", final.RunID, or(final.Reason))
		return &ExitError{Code: 124}
	case final.Status != "SUCCEEDED":
		fmt.Fprintf(a.io.Stderr, "command %s %s: %s\n", final.RunID, final.Status, or(final.Reason))
		return &ExitError{Code: 1}
	}
	return nil
}

// watchCommand waits for a command to end, showing it as one step.
func (a *app) watchCommand(ctx context.Context, c *client.Client, path, title string) (command, []byte, error) {
	var last command
	var raw []byte
	_, err := progress.Watch(ctx, a.renderer(title), a.io.Poll, tolerant(func(ctx context.Context) (progress.Snapshot, error) {
		resp, err := c.JSON(ctx, http.MethodGet, path, nil, &last)
		if err != nil {
			return progress.Snapshot{}, err
		}
		raw = resp.Body
		st := progress.Step{Name: "command", State: progress.Pending}
		if last.StartTime != nil {
			st.StartedAt = *last.StartTime
		}
		if last.EndTime != nil {
			st.FinishedAt = *last.EndTime
		}
		s := progress.Snapshot{Status: last.Status}
		switch last.Status {
		case "RUNNING":
			st.State = progress.Running
		case "SUCCEEDED":
			st.State, s.Done = progress.Succeeded, true
		case "FAILED", "TIMED_OUT", "SKIPPED":
			st.State, s.Done, s.Failed, s.Reason = progress.Failed, true, true, last.Reason
			if last.ExitCode != nil {
				st.Detail = fmt.Sprintf("exit code %d", *last.ExitCode)
			}
		}
		s.Steps = []progress.Step{st}
		return s, nil
	}))
	return last, raw, err
}
