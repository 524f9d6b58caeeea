package cli

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) opsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ops", Aliases: []string{"operations"}, Short: "Follow and list workflow runs (operations)"}
	watch := &cobra.Command{
		Use:   "watch ID",
		Short: "Show an operation's steps live until it ends",
		Long:  "ID is an operation id as a 202's Location gives it (the whole Location works too).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id := lastSegment(args[0])
			path := "/operations/" + url.PathEscape(id)
			if a.noWait {
				resp, err := c.Do(cmd.Context(), http.MethodGet, path, nil)
				if err != nil {
					return err
				}
				return a.accepted(resp, "operation "+id)
			}
			last, snap, err := a.watchOperation(cmd.Context(), c, path, "Operation "+id)
			return a.finish(last, snap, err, "operation "+id)
		},
	}
	list := &cobra.Command{
		Use:   "list --app APP [--env ENV]",
		Short: "List an environment's operations, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.envPath()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var ops []struct {
				operation
				Operation string `json:"operation"`
				StartedAt string `json:"startedAt"`
			}
			resp, err := c.JSON(cmd.Context(), http.MethodGet, path+"/operations", nil, &ops)
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(resp.Body)
			}
			var rows [][]string
			for _, op := range ops {
				var names []string
				for _, s := range op.Steps {
					names = append(names, s.Name+":"+s.State)
				}
				rows = append(rows, []string{op.ID, op.Status, or(op.StartedAt), strings.Join(names, " ")})
			}
			a.table([]string{"ID", "STATUS", "STARTED", "STEPS"}, rows)
			return nil
		},
	}
	a.envFlags(list)
	cmd.AddCommand(watch, list)
	return cmd
}
