package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

func (a *app) envCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "env", Aliases: []string{"envs", "environments"}, Short: "Create, list, show and delete an application's environments"}
	cmd.AddCommand(a.envCreateCmd(), a.envListCmd(), a.envGetCmd(), a.envDeleteCmd())
	return cmd
}

func (a *app) envCreateCmd() *cobra.Command {
	var cloneFrom, composeFile, imageSuffix string
	var minCap, maxCap int
	cmd := &cobra.Command{
		Use:   "create NAME --app APP [--clone-from ENV | -f docker-compose.yml]",
		Short: "Create an environment, and wait until it is ACTIVE",
		Long: `Creates the environment from a copy of production's definition, or of --clone-from's,
or from a docker-compose file (sent through the API's compose validation first).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			application, err := a.application()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			body := map[string]any{"envName": args[0]}
			if cloneFrom != "" {
				body["cloneConfigurationFrom"] = cloneFrom
			}
			if composeFile != "" {
				def, err := a.translateCompose(ctx, c, composeFile, application, imageSuffix)
				if err != nil {
					return err
				}
				body["composeDefinition"] = def
			}
			if cmd.Flags().Changed("min") {
				body["minCapacity"] = minCap
			}
			if cmd.Flags().Changed("max") {
				body["maxCapacity"] = maxCap
			}
			base := "/applications/" + url.PathEscape(application) + "/environments"
			resp, err := c.Do(ctx, http.MethodPost, base, body)
			if err != nil {
				return err
			}
			what := "environment " + application + "/" + args[0]
			if a.noWait {
				return a.accepted(resp, what)
			}
			last, snap, err := a.watchRecord(ctx, c, base+"/"+url.PathEscape(args[0]), "Creating environment "+application+"/"+args[0])
			return a.finish(last, snap, err, what)
		},
	}
	a.appFlag(cmd)
	f := cmd.Flags()
	f.StringVar(&cloneFrom, "clone-from", "", "the environment whose configuration to copy")
	f.StringVarP(&composeFile, "file", "f", "", "a docker-compose file for the environment's own definition")
	f.StringVar(&imageSuffix, "image-suffix", "", "point internal images at the tag {container}-{suffix}")
	f.IntVar(&minCap, "min", 1, "the minimum task count")
	f.IntVar(&maxCap, "max", 1, "the maximum task count")
	return cmd
}

func (a *app) envListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list --app APP",
		Aliases: []string{"ls"},
		Short:   "List an application's environments",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			application, err := a.application()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			items, err := listAll(cmd.Context(), c, "/applications/"+url.PathEscape(application)+"/environments?limit=100")
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
				rows = append(rows, []string{s.EnvName, s.Status, count(s.RunningCount) + "/" + count(s.DesiredCount), or(s.CreatedAt)})
			}
			a.table([]string{"NAME", "STATUS", "TASKS", "CREATED"}, rows)
			return nil
		},
	}
	a.appFlag(cmd)
	return cmd
}

func (a *app) envGetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get NAME --app APP",
		Short: "Show an environment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			application, err := a.application()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.Do(cmd.Context(), http.MethodGet, "/applications/"+url.PathEscape(application)+"/environments/"+url.PathEscape(args[0]), nil)
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
			fmt.Fprintf(a.io.Stdout, "environment  %s/%s\nstatus       %s\n", application, s.EnvName, s.Status)
			if s.StatusReason != "" {
				fmt.Fprintf(a.io.Stdout, "reason       %s\n", s.StatusReason)
			}
			fmt.Fprintf(a.io.Stdout, "tasks        %s running of %s\n", count(s.RunningCount), count(s.DesiredCount))
			if s.LoadBalancer != nil && s.LoadBalancer.Host != "" {
				fmt.Fprintf(a.io.Stdout, "host         %s\n", s.LoadBalancer.Host)
			}
			a.printSteps(r)
			return nil
		},
	}
	a.appFlag(cmd)
	return cmd
}

func (a *app) envDeleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete NAME --app APP",
		Short: "Delete an environment, and wait for the teardown",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			application, err := a.application()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			resp, err := c.Do(cmd.Context(), http.MethodDelete, "/applications/"+url.PathEscape(application)+"/environments/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			name := application + "/" + args[0]
			return a.waitOperation(cmd.Context(), c, resp, "Deleting environment "+name, "environment "+name+" deleted")
		},
	}
	a.appFlag(cmd)
	return cmd
}
