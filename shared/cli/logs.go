package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
)

type logEvent struct {
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
	Stream    string `json:"logStreamName"`
}

// printLog prints one line: its time, its container, its message; or the
// event as one JSON line.
func (a *app) printLog(ev logEvent) {
	if a.json() {
		raw, _ := json.Marshal(ev)
		fmt.Fprintln(a.io.Stdout, string(raw))
		return
	}
	container := ev.Stream
	if parts := strings.Split(ev.Stream, "/"); len(parts) >= 2 {
		container = parts[1] // berth/<container>/<task id>
	}
	ts := time.UnixMilli(ev.Timestamp).UTC().Format(time.RFC3339)
	fmt.Fprintf(a.io.Stdout, "%s %s %s\n", ts, or(container), ev.Message)
}

func (a *app) logsCmd() *cobra.Command {
	var follow bool
	var container, since, filter string
	var limit int
	cmd := &cobra.Command{
		Use:   "logs --app APP [--env ENV] [--follow] [--container NAME] [--since 1h]",
		Short: "Print an environment's container logs, or follow them",
		Long: `Prints the log lines since --since (a duration such as 10m, or a time; the last hour by
default), oldest first, one per line: time, container, message. --follow goes on printing new
lines (a Server-Sent Events stream, resumed where it stopped) until interrupted.
--output json prints each line as a JSON object.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.envPath()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if container != "" {
				q.Set("containerName", container)
			}
			if filter != "" {
				q.Set("filterPattern", filter)
			}
			if since != "" {
				start, err := sinceTime(since, time.Now())
				if err != nil {
					return usagef("--since: %v", err)
				}
				q.Set("startTime", start)
			}
			if follow {
				return a.followLogs(cmd.Context(), c, path+"/logs", q)
			}
			q.Set("limit", fmt.Sprint(limit))
			next := ""
			for page := 0; page < 1000; page++ {
				if next != "" {
					q.Set("nextToken", next)
				}
				var out struct {
					Events    []logEvent `json:"logEvents"`
					NextToken *string    `json:"nextToken"`
				}
				if _, err := c.JSON(cmd.Context(), http.MethodGet, path+"/logs?"+q.Encode(), nil, &out); err != nil {
					return err
				}
				for _, ev := range out.Events {
					a.printLog(ev)
				}
				if out.NextToken == nil || *out.NextToken == "" || *out.NextToken == next {
					return nil
				}
				next = *out.NextToken
			}
			return nil
		},
	}
	a.envFlags(cmd)
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "F", false, "go on printing new lines until interrupted")
	f.StringVar(&container, "container", "", "only this container's lines")
	f.StringVar(&since, "since", "", "lines since this long ago (10m, 2h) or this time (RFC 3339)")
	f.StringVar(&filter, "filter", "", "a CloudWatch Logs filter pattern")
	f.IntVar(&limit, "limit", 1000, "most lines per page")
	return cmd
}

// sinceTime reads --since: a duration before now, or a time.
func sinceTime(s string, now time.Time) (string, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return "", errors.New("a duration must not be negative")
		}
		return now.Add(-d).UTC().Format(time.RFC3339), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("%q is neither a duration (10m) nor an RFC 3339 time", s)
}

// followLogs reads the stream again each time the server ends it, from
// the last event it gave, until ctx ends.
func (a *app) followLogs(ctx context.Context, c *client.Client, path string, q url.Values) error {
	q.Set("follow", "true")
	lastID := ""
	for {
		err := c.Stream(ctx, path+"?"+q.Encode(), lastID, func(ev client.Event) error {
			if ev.ID != "" {
				lastID = ev.ID
			}
			if ev.Name != "" && ev.Name != "log" {
				return nil
			}
			var le logEvent
			if err := json.Unmarshal(ev.Data, &le); err != nil {
				return nil
			}
			a.printLog(le)
			return nil
		})
		if ctx.Err() != nil {
			return nil // interrupted: following ends there
		}
		var p *client.Problem
		if errors.As(err, &p) {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
