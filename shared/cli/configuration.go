package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
)

// envSub is a subcommand on an environment: it resolves the
// environment's path and a client and calls fn.
func (a *app) envSub(use, short string, args cobra.PositionalArgs, fn func(cmd *cobra.Command, c *client.Client, path string, args []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.envPath()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return fn(cmd, c, path, args)
		},
	}
	a.envFlags(cmd)
	return cmd
}

// show prints a body as JSON: the plain output of the configuration
// commands' reads is the API's JSON too, for it is small.
func (a *app) show(resp *client.Response) error { return a.printJSON(resp.Body) }

func (a *app) cronCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cron", Short: "Cron jobs: commands an environment runs on a schedule"}
	cmd.AddCommand(
		a.envSub("list", "List the environment's cron jobs", cobra.NoArgs, func(cmd *cobra.Command, c *client.Client, path string, _ []string) error {
			var jobs []struct {
				Name      string   `json:"name"`
				Schedule  string   `json:"scheduleExpression"`
				Command   []string `json:"command"`
				IsEnabled bool     `json:"isEnabled"`
			}
			resp, err := c.JSON(cmd.Context(), http.MethodGet, path+"/cron", nil, &jobs)
			if err != nil {
				return err
			}
			if a.json() {
				return a.show(resp)
			}
			var rows [][]string
			for _, j := range jobs {
				rows = append(rows, []string{j.Name, j.Schedule, fmt.Sprint(j.IsEnabled), strings.Join(j.Command, " ")})
			}
			a.table([]string{"NAME", "SCHEDULE", "ENABLED", "COMMAND"}, rows)
			return nil
		}),
		a.envSub("get NAME", "Show a cron job", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			resp, err := c.Do(cmd.Context(), http.MethodGet, path+"/cron/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return a.show(resp)
		}),
		a.cronCreateCmd(),
		a.envSub("delete NAME", "Delete a cron job", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			if _, err := c.Do(cmd.Context(), http.MethodDelete, path+"/cron/"+url.PathEscape(args[0]), nil); err != nil {
				return err
			}
			if a.json() {
				return a.encode(map[string]string{"deleted": args[0]})
			}
			fmt.Fprintf(a.io.Stdout, "cron job %s deleted\n", args[0])
			return nil
		}),
		a.envSub("runs NAME", "List a cron job's runs, newest first", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			var runs []command
			resp, err := c.JSON(cmd.Context(), http.MethodGet, path+"/cron/"+url.PathEscape(args[0])+"/runs", nil, &runs)
			if err != nil {
				return err
			}
			if a.json() {
				return a.show(resp)
			}
			var rows [][]string
			for _, r := range runs {
				code := "-"
				if r.ExitCode != nil {
					code = fmt.Sprint(*r.ExitCode)
				}
				rows = append(rows, []string{r.RunID, r.Status, code, r.CreatedAt.Format("2006-01-02T15:04:05Z07:00")})
			}
			a.table([]string{"RUN", "STATUS", "EXIT", "CREATED"}, rows)
			return nil
		}),
	)
	return cmd
}

func (a *app) cronCreateCmd() *cobra.Command {
	var schedule, description, container string
	var disabled bool
	var timeout int
	cmd := a.envSub("create NAME --schedule EXPR -- COMMAND [ARG...]", "Create a cron job", cobra.MinimumNArgs(2), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		body := map[string]any{"name": args[0], "scheduleExpression": schedule, "command": args[1:]}
		if description != "" {
			body["description"] = description
		}
		if container != "" {
			body["targetContainerName"] = container
		}
		if disabled {
			body["isEnabled"] = false
		}
		if timeout > 0 {
			body["timeoutSeconds"] = timeout
		}
		resp, err := c.Do(cmd.Context(), http.MethodPost, path+"/cron", body)
		if err != nil {
			return err
		}
		if a.json() {
			return a.show(resp)
		}
		fmt.Fprintf(a.io.Stdout, "cron job %s created: %s\n", args[0], schedule)
		return nil
	})
	f := cmd.Flags()
	f.StringVar(&schedule, "schedule", "", "cron(...) or rate(...), in UTC: rate(5 minutes), cron(0 3 * * ? *)")
	f.StringVar(&description, "description", "", "what the job does")
	f.StringVar(&container, "container", "", "the container to run in")
	f.BoolVar(&disabled, "disabled", false, "create it disabled")
	f.IntVar(&timeout, "timeout", 0, "stop a run after this many seconds")
	_ = cmd.MarkFlagRequired("schedule")
	return cmd
}

type variable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (a *app) varsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "vars", Aliases: []string{"variables"}, Short: "An environment's variables (each change is a deployment)"}
	cmd.AddCommand(
		a.envSub("list", "List the environment's variables", cobra.NoArgs, func(cmd *cobra.Command, c *client.Client, path string, _ []string) error {
			var out struct {
				Variables []variable `json:"variables"`
			}
			resp, err := c.JSON(cmd.Context(), http.MethodGet, path+"/variables", nil, &out)
			if err != nil {
				return err
			}
			if a.json() {
				return a.show(resp)
			}
			for _, v := range out.Variables {
				fmt.Fprintf(a.io.Stdout, "%s=%s\n", v.Name, v.Value)
			}
			return nil
		}),
		a.envSub("set NAME=VALUE...", "Set variables, and follow the deployment", cobra.MinimumNArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			ctx := cmd.Context()
			set := map[string]string{}
			var order []string
			for _, kv := range args {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("%q is not NAME=VALUE", kv)
				}
				if _, dup := set[k]; !dup {
					order = append(order, k)
				}
				set[k] = v
			}
			var resp *client.Response
			var err error
			if len(order) == 1 {
				resp, err = c.Do(ctx, http.MethodPut, path+"/variables/"+url.PathEscape(order[0]), map[string]string{"value": set[order[0]]})
			} else {
				// Several at once are one deployment: the list with them replaced.
				var cur struct {
					Variables []variable `json:"variables"`
				}
				if _, err := c.JSON(ctx, http.MethodGet, path+"/variables", nil, &cur); err != nil {
					return err
				}
				vars := []variable{}
				for _, v := range cur.Variables {
					if _, ok := set[v.Name]; !ok {
						vars = append(vars, v)
					}
				}
				for _, k := range order {
					vars = append(vars, variable{k, set[k]})
				}
				resp, err = c.Do(ctx, http.MethodPut, path+"/variables", map[string]any{"variables": vars})
			}
			if err != nil {
				return err
			}
			return a.waitOperation(ctx, c, resp, "Deploying variables "+strings.Join(order, ", "), "variables "+strings.Join(order, ", "))
		}),
		a.envSub("delete NAME", "Delete a variable, and follow the deployment", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			resp, err := c.Do(cmd.Context(), http.MethodDelete, path+"/variables/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return a.waitOperation(cmd.Context(), c, resp, "Deleting variable "+args[0], "variable "+args[0]+" deleted")
		}),
	)
	return cmd
}

func (a *app) secretsCmd() *cobra.Command {
	var value string
	set := a.envSub("set NAME [--value VALUE]", "Set a secret (the value from --value, else stdin), and follow the deployment", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		v := value
		if !cmd.Flags().Changed("value") {
			raw, err := io.ReadAll(io.LimitReader(a.io.Stdin, 64<<10+1))
			if err != nil {
				return err
			}
			v = strings.TrimRight(string(raw), "\r\n")
		}
		resp, err := c.Do(cmd.Context(), http.MethodPut, path+"/secrets/"+url.PathEscape(args[0]), map[string]string{"value": v})
		if err != nil {
			return err
		}
		return a.waitOperation(cmd.Context(), c, resp, "Deploying secret "+args[0], "secret "+args[0])
	})
	set.Flags().StringVar(&value, "value", "", "the value (visible in the process list: prefer stdin)")
	cmd := &cobra.Command{Use: "secrets", Short: "An environment's secrets: names and versions; values are write-only"}
	cmd.AddCommand(
		a.envSub("list", "List the environment's secrets (never their values)", cobra.NoArgs, func(cmd *cobra.Command, c *client.Client, path string, _ []string) error {
			var out struct {
				Secrets []struct {
					Name      string `json:"name"`
					Version   int    `json:"version"`
					UpdatedAt string `json:"updatedAt"`
				} `json:"secrets"`
			}
			resp, err := c.JSON(cmd.Context(), http.MethodGet, path+"/secrets", nil, &out)
			if err != nil {
				return err
			}
			if a.json() {
				return a.show(resp)
			}
			var rows [][]string
			for _, s := range out.Secrets {
				rows = append(rows, []string{s.Name, fmt.Sprint(s.Version), s.UpdatedAt})
			}
			a.table([]string{"NAME", "VERSION", "UPDATED"}, rows)
			return nil
		}),
		set,
		a.envSub("delete NAME", "Delete a secret, and follow the deployment", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
			resp, err := c.Do(cmd.Context(), http.MethodDelete, path+"/secrets/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return a.waitOperation(cmd.Context(), c, resp, "Deleting secret "+args[0], "secret "+args[0]+" deleted")
		}),
	)
	return cmd
}
