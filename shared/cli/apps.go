package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
)

// translateCompose sends a docker-compose file through the API's
// validate-compose and answers its composeDefinition; the translation's
// warnings go to stderr.
func (a *app) translateCompose(ctx context.Context, c *client.Client, file, application, imageSuffix string) (json.RawMessage, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"compose": string(raw)}
	if application != "" {
		body["application"] = application
	}
	if imageSuffix != "" {
		body["imageSuffix"] = imageSuffix
	}
	var out struct {
		Definition json.RawMessage `json:"translatedComposeDefinition"`
		Warnings   []string        `json:"translationWarnings"`
	}
	if _, err := c.JSON(ctx, http.MethodPost, "/compose/validate", body, &out); err != nil {
		return nil, err
	}
	for _, w := range out.Warnings {
		fmt.Fprintf(a.io.Stderr, "warning: %s\n", w)
	}
	return out.Definition, nil
}

// summary is what the lists show of an application or environment.
type summary struct {
	AppName      string `json:"appName"`
	EnvName      string `json:"envName"`
	Status       string `json:"status"`
	StatusReason string `json:"statusReason"`
	DesiredCount *int   `json:"desiredCount"`
	RunningCount *int   `json:"runningCount"`
	CreatedAt    string `json:"createdAt"`
	Environments []struct {
		EnvName string `json:"envName"`
		Status  string `json:"status"`
	} `json:"environments"`
	EnvironmentNames []string `json:"environmentNames"`
	LoadBalancer     *struct {
		Host string `json:"host"`
	} `json:"loadBalancer"`
}

func count(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

// listAll GETs every page of a list (following the Link header's
// nextToken) and answers the items.
func listAll(ctx context.Context, c *client.Client, path string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	next := path
	for page := 0; next != "" && page < 100; page++ {
		resp, err := c.Do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		var items []json.RawMessage
		if err := resp.Decode(&items); err != nil {
			return nil, err
		}
		all = append(all, items...)
		next = ""
		if link := resp.Header.Get("Link"); strings.HasPrefix(link, "<?") {
			q := link[2:strings.Index(link, ">")]
			base, _, _ := strings.Cut(path, "?")
			next = base + "?" + q
		}
	}
	return all, nil
}

func (a *app) appsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apps", Aliases: []string{"app", "applications"}, Short: "Create, list, show and delete applications"}
	cmd.AddCommand(a.appsCreateCmd(), a.appsListCmd(), a.appsGetCmd(), a.appsDeleteCmd())
	return cmd
}

func (a *app) appsCreateCmd() *cobra.Command {
	var composeFile, bodyFile, database, imageSuffix string
	var filesystem bool
	var minCap, maxCap int
	cmd := &cobra.Command{
		Use:   "create NAME -f docker-compose.yml",
		Short: "Create an application from a docker-compose file, and wait until it is ACTIVE",
		Long: `Sends the compose file through the API's compose validation (validate-compose), then
creates the application with the translated definition and shows its provisioning live.
--body sends a create-application request body (JSON) as is instead, with NAME as its appName.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			ctx := cmd.Context()
			c, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{}
			switch {
			case composeFile != "" && bodyFile != "":
				return usagef("give -f or --body, not both")
			case composeFile != "":
				def, err := a.translateCompose(ctx, c, composeFile, name, imageSuffix)
				if err != nil {
					return err
				}
				body["composeDefinition"] = def
			case bodyFile != "":
				raw, err := os.ReadFile(bodyFile)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(raw, &body); err != nil {
					return fmt.Errorf("%s: %w", bodyFile, err)
				}
			default:
				return usagef("apps create needs -f docker-compose.yml (or --body request.json)")
			}
			body["appName"] = name
			if database != "" {
				body["database"] = map[string]any{"engine": database}
			}
			if filesystem {
				body["filesystem"] = map[string]any{"required": true}
			}
			if cmd.Flags().Changed("min") {
				body["minCapacity"] = minCap
			}
			if cmd.Flags().Changed("max") {
				body["maxCapacity"] = maxCap
			}
			resp, err := c.Do(ctx, http.MethodPost, "/applications", body)
			if err != nil {
				return err
			}
			if a.noWait {
				return a.accepted(resp, "application "+name)
			}
			last, snap, err := a.watchRecord(ctx, c, "/applications/"+url.PathEscape(name), "Creating application "+name)
			return a.finish(last, snap, err, "application "+name)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&composeFile, "file", "f", "", "the docker-compose file")
	f.StringVar(&bodyFile, "body", "", "a create-application request body (JSON) instead of a compose file")
	f.StringVar(&database, "database", "", "an RDS database: mysql or postgres")
	f.BoolVar(&filesystem, "filesystem", false, "a shared EFS filesystem")
	f.IntVar(&minCap, "min", 1, "the minimum task count")
	f.IntVar(&maxCap, "max", 1, "the maximum task count")
	f.StringVar(&imageSuffix, "image-suffix", "", "point internal images at the tag {container}-{suffix}")
	return cmd
}

func (a *app) appsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the organisation's applications",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			items, err := listAll(cmd.Context(), c, "/applications?limit=100")
			if err != nil {
				return err
			}
			if a.json() {
				if items == nil {
					items = []json.RawMessage{}
				}
				return a.encode(items)
			}
			var rows [][]string
			for _, raw := range items {
				var s summary
				_ = json.Unmarshal(raw, &s)
				rows = append(rows, []string{s.AppName, s.Status, strings.Join(s.EnvironmentNames, ","), or(s.CreatedAt)})
			}
			a.table([]string{"NAME", "STATUS", "ENVIRONMENTS", "CREATED"}, rows)
			return nil
		},
	}
}

func (a *app) appsGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show an application, its environments and its last workflow",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.Do(cmd.Context(), http.MethodGet, "/applications/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(resp.Body)
			}
			var s summary
			var r record
			_ = json.Unmarshal(resp.Body, &s)
			_ = json.Unmarshal(resp.Body, &r)
			fmt.Fprintf(a.io.Stdout, "application  %s\nstatus       %s\n", s.AppName, s.Status)
			if s.StatusReason != "" {
				fmt.Fprintf(a.io.Stdout, "reason       %s\n", s.StatusReason)
			}
			fmt.Fprintf(a.io.Stdout, "tasks        %s running of %s\ncreated      %s\n", count(s.RunningCount), count(s.DesiredCount), or(s.CreatedAt))
			for _, e := range s.Environments {
				fmt.Fprintf(a.io.Stdout, "environment  %s %s\n", e.EnvName, e.Status)
			}
			a.printSteps(r)
			return nil
		},
	}
}

// printSteps lists a record's last workflow's steps.
func (a *app) printSteps(r record) {
	if r.Progress == nil {
		return
	}
	fmt.Fprintf(a.io.Stdout, "workflow     %s\n", r.Progress.State)
	for _, st := range r.Progress.Steps {
		fmt.Fprintf(a.io.Stdout, "  %-10s %s\n", st.Name, st.State)
	}
}

func (a *app) appsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an application with all its environments, and wait for the teardown",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.Do(cmd.Context(), http.MethodDelete, "/applications/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return a.waitOperation(cmd.Context(), c, resp, "Deleting application "+args[0], "application "+args[0]+" deleted")
		},
	}
}

// waitOperation follows the operation a 202 names in Location, or with
// --no-wait prints the answer.
func (a *app) waitOperation(ctx context.Context, c *client.Client, resp *client.Response, title, what string) error {
	loc := resp.Location()
	if a.noWait || !strings.Contains(loc, "/operations/") {
		return a.accepted(resp, what)
	}
	last, snap, err := a.watchOperation(ctx, c, loc, title)
	return a.finish(last, snap, err, what)
}
