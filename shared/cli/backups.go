package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/progress"
)

// backupTypes are Quant's backup types.
var backupTypes = map[string]bool{"database": true, "filesystem": true}

func backupType(s string) error {
	if !backupTypes[s] {
		return usagef("backup type must be database or filesystem, not %q", s)
	}
	return nil
}

// noBackups explains a 404 for a route the API does not have.
func noBackups(err error) error {
	var p *client.Problem
	if errors.As(err, &p) && p.Status == http.StatusNotFound && strings.HasSuffix(p.Type, "/no-such-route") {
		return fmt.Errorf("this Berth API has no backups endpoint (%s %s answered 404 no-such-route): backups need a newer server", p.Method, p.Path)
	}
	return err
}

// dataOp is a backup, restore or sync as the API shows it.
type dataOp struct {
	BackupID     string  `json:"backupId"`
	RestoreID    string  `json:"restoreId"`
	SyncID       string  `json:"syncId"`
	Status       string  `json:"status"`
	Error        string  `json:"error"`
	ErrorMessage *string `json:"errorMessage"`
	Size         int64   `json:"size"`
	Description  string  `json:"description"`
	CreatedAt    string  `json:"createdAt"`
}

func (o dataOp) reason() string {
	if o.ErrorMessage != nil {
		return *o.ErrorMessage
	}
	return o.Error
}

// watchData polls find until the operation it reads has ended, showing it
// as one step named step; it answers the operation's last JSON.
func (a *app) watchData(ctx context.Context, title, step string, find func(context.Context) (dataOp, []byte, error)) error {
	var last []byte
	started := time.Now()
	snap, err := progress.Watch(ctx, a.renderer(title), a.io.Poll, tolerant(func(ctx context.Context) (progress.Snapshot, error) {
		op, raw, err := find(ctx)
		if err != nil {
			return progress.Snapshot{}, err
		}
		last = raw
		st := progress.Step{Name: step, State: "RUNNING", StartedAt: started}
		s := progress.Snapshot{Status: strings.ToUpper(op.Status)}
		switch op.Status {
		case "pending":
			st.State = "PENDING"
		case "completed":
			st.State, st.FinishedAt, s.Done = "SUCCEEDED", time.Now(), true
		case "failed":
			st.State, st.FinishedAt, s.Done, s.Failed, s.Reason = "FAILED", time.Now(), true, true, op.reason()
		}
		s.Steps = []progress.Step{st}
		return s, nil
	}))
	return a.finish(last, snap, err, step)
}

func (a *app) backupsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "backups", Short: "An environment's database and filesystem backups, restores and syncs"}
	cmd.AddCommand(a.backupsListCmd(), a.backupsCreateCmd(), a.backupsDownloadCmd(), a.backupsRestoreCmd(), a.backupsSyncCmd(), a.backupsDeleteCmd())
	return cmd
}

func (a *app) backupsListCmd() *cobra.Command {
	var status string
	var limit int
	list := a.envSub("list TYPE", "List an environment's backups: TYPE is database or filesystem", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		q := url.Values{}
		if limit > 0 {
			q.Set("limit", fmt.Sprint(limit))
		}
		if status != "" {
			q.Set("status", status)
		}
		target := path + "/backups/" + args[0]
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		var out struct {
			Backups []dataOp `json:"backups"`
		}
		resp, err := c.JSON(cmd.Context(), http.MethodGet, target, nil, &out)
		if err != nil {
			return noBackups(err)
		}
		if a.json() {
			return a.show(resp)
		}
		var rows [][]string
		for _, b := range out.Backups {
			rows = append(rows, []string{b.BackupID, b.Status, or(b.CreatedAt), fmt.Sprint(b.Size), or(b.Description)})
		}
		a.table([]string{"ID", "STATUS", "CREATED", "SIZE", "DESCRIPTION"}, rows)
		return nil
	})
	list.Flags().IntVar(&limit, "limit", 0, "most backups to list (the API's default 50, at most 100)")
	list.Flags().StringVar(&status, "status", "", "only backups in this status: completed, failed or running")
	return list
}

// findBackup reads one backup from the environment's list.
func findBackup(ctx context.Context, c *client.Client, path, typ, id string) (dataOp, []byte, error) {
	var out struct {
		Backups []json.RawMessage `json:"backups"`
	}
	if _, err := c.JSON(ctx, http.MethodGet, path+"/backups/"+typ+"?limit=100", nil, &out); err != nil {
		return dataOp{}, nil, err
	}
	for _, raw := range out.Backups {
		var b dataOp
		if json.Unmarshal(raw, &b) == nil && b.BackupID == id {
			return b, raw, nil
		}
	}
	return dataOp{}, nil, fmt.Errorf("backup %s is not among the environment's latest 100 %s backups", id, typ)
}

func (a *app) backupsCreateCmd() *cobra.Command {
	var description string
	create := a.envSub("create TYPE", "Back up an environment's database or filesystem, and wait until it has", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		body := map[string]any{}
		if description != "" {
			body["description"] = description
		}
		var started dataOp
		resp, err := c.JSON(cmd.Context(), http.MethodPost, path+"/backups/"+args[0], body, &started)
		if err != nil {
			return noBackups(err)
		}
		if a.noWait {
			return a.acceptedData(resp, "backup "+started.BackupID)
		}
		return a.watchData(cmd.Context(), "Backing up the "+args[0]+" ("+started.BackupID+")", "backup", func(ctx context.Context) (dataOp, []byte, error) {
			return findBackup(ctx, c, path, args[0], started.BackupID)
		})
	})
	create.Flags().StringVar(&description, "description", "", "what the backup is for")
	return create
}

// acceptedData is what --no-wait prints for a started data operation.
func (a *app) acceptedData(resp *client.Response, what string) error {
	if a.json() {
		return a.show(resp)
	}
	fmt.Fprintln(a.io.Stdout, what+": started")
	return nil
}

func (a *app) backupsDownloadCmd() *cobra.Command {
	var out string
	cmd := a.envSub("download TYPE ID", "Download a completed backup to a file (its own name by default)", cobra.ExactArgs(2), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		var d struct {
			URL      string `json:"downloadUrl"`
			Filename string `json:"filename"`
		}
		if _, err := c.JSON(cmd.Context(), http.MethodGet, path+"/backups/"+args[0]+"/"+url.PathEscape(args[1])+"/download", nil, &d); err != nil {
			return noBackups(err)
		}
		if out == "" {
			out = d.Filename
		}
		req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, d.URL, nil)
		if err != nil {
			return err
		}
		// The URL is presigned: no token goes with it.
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("the download URL answered %s", res.Status)
		}
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		n, err := io.Copy(f, res.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(a.io.Stdout, "%s: %d bytes\n", out, n)
		return nil
	})
	cmd.Flags().StringVarP(&out, "output-file", "f", "", "the file to write")
	return cmd
}

func (a *app) backupsRestoreCmd() *cobra.Command {
	var yes bool
	cmd := a.envSub("restore TYPE ID", "Restore a backup (of any environment of the application) into this environment", cobra.ExactArgs(2), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		if !yes {
			return usagef("a restore overwrites the environment's %s: add --yes to go ahead", args[0])
		}
		var started dataOp
		resp, err := c.JSON(cmd.Context(), http.MethodPost, path+"/backups/"+url.PathEscape(args[1])+"/restore-"+args[0],
			map[string]any{"backupId": args[1], "acknowledgeDataloss": true}, &started)
		if err != nil {
			return noBackups(err)
		}
		if a.noWait {
			return a.acceptedData(resp, "restore "+started.RestoreID)
		}
		return a.watchData(cmd.Context(), "Restoring "+args[1], "restore", func(ctx context.Context) (dataOp, []byte, error) {
			var op dataOp
			resp, err := c.JSON(ctx, http.MethodGet, path+"/restores/"+started.RestoreID, nil, &op)
			if err != nil {
				return dataOp{}, nil, err
			}
			if op.Status == "in_progress" {
				op.Status = "running"
			}
			return op, resp.Body, nil
		})
	})
	cmd.Flags().BoolVar(&yes, "yes", false, "acknowledge that the restore overwrites the environment's data")
	return cmd
}

func (a *app) backupsSyncCmd() *cobra.Command {
	var from string
	cmd := a.envSub("sync TYPE --from ENV", "Copy another environment's data of TYPE into this one (a backup and a restore)", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		if from == "" {
			return usagef("--from names the environment to copy from")
		}
		var started dataOp
		resp, err := c.JSON(cmd.Context(), http.MethodPost, path+"/sync/"+args[0], map[string]any{"sourceEnvironment": from}, &started)
		if err != nil {
			return noBackups(err)
		}
		if a.noWait {
			return a.acceptedData(resp, "sync "+started.SyncID)
		}
		return a.watchData(cmd.Context(), "Syncing the "+args[0]+" from "+from, "sync", func(ctx context.Context) (dataOp, []byte, error) {
			var list []json.RawMessage
			if _, err := c.JSON(ctx, http.MethodGet, path+"/sync/"+args[0], nil, &list); err != nil {
				return dataOp{}, nil, err
			}
			for _, raw := range list {
				var op dataOp
				if json.Unmarshal(raw, &op) == nil && op.SyncID == started.SyncID {
					return op, raw, nil
				}
			}
			return dataOp{}, nil, fmt.Errorf("sync %s is not among the environment's syncs", started.SyncID)
		})
	})
	cmd.Flags().StringVar(&from, "from", "", "the environment to copy from")
	return cmd
}

func (a *app) backupsDeleteCmd() *cobra.Command {
	return a.envSub("delete TYPE ID", "Delete a finished backup and its artefact", cobra.ExactArgs(2), func(cmd *cobra.Command, c *client.Client, path string, args []string) error {
		if err := backupType(args[0]); err != nil {
			return err
		}
		resp, err := c.Do(cmd.Context(), http.MethodDelete, path+"/backups/"+args[0]+"/"+url.PathEscape(args[1]), nil)
		if err != nil {
			return noBackups(err)
		}
		if a.json() {
			return a.show(resp)
		}
		fmt.Fprintf(a.io.Stdout, "backup %s deleted\n", args[1])
		return nil
	})
}
