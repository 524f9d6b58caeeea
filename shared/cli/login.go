package cli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/config"
)

func (a *app) loginCmd() *cobra.Command {
	var noVerify bool
	cmd := &cobra.Command{
		Use:   "login --url URL --org ORG --token TOKEN",
		Short: "Check a token against the API and save it in a profile",
		Long: `Saves the URL, organisation and token in a profile (--profile, else "default") of
config.json in the user's configuration folder, written with mode 0600, and makes it the
current profile. The token is checked first with a read of the organisation's applications.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.configPath()
			if err != nil {
				return err
			}
			file, err := config.Load(path)
			if err != nil {
				return err
			}
			name := a.profile
			if name == "" {
				name = a.io.Getenv("BERTH_PROFILE")
			}
			if name == "" {
				name = config.DefaultProfile
			}
			// What the flags (or environment) do not give, the profile keeps.
			p := file.Profiles[name]
			for _, kv := range []struct {
				flag, env string
				dst       *string
			}{{a.url, "BERTH_URL", &p.URL}, {a.org, "BERTH_ORG", &p.Organisation}, {a.token, "BERTH_TOKEN", &p.Token}} {
				switch {
				case kv.flag != "":
					*kv.dst = kv.flag
				case a.io.Getenv(kv.env) != "":
					*kv.dst = a.io.Getenv(kv.env)
				}
			}
			if p.URL == "" || p.Organisation == "" || p.Token == "" {
				return usagef("login needs --url, --org and --token (or BERTH_URL, BERTH_ORG, BERTH_TOKEN)")
			}
			if !noVerify {
				c := &client.Client{BaseURL: p.URL, Organisation: p.Organisation, Token: p.Token, HTTP: a.io.HTTP, UserAgent: "berth-cli/" + version()}
				if _, err := c.Do(cmd.Context(), http.MethodGet, "/applications?limit=1", nil); err != nil {
					return fmt.Errorf("the token does not work for %s at %s: %w", p.Organisation, p.URL, err)
				}
			}
			file.Profiles[name] = p
			file.Current = name
			if err := file.Save(path); err != nil {
				return err
			}
			if a.json() {
				return a.encode(map[string]string{"profile": name, "url": p.URL, "organisation": p.Organisation, "config": path})
			}
			fmt.Fprintf(a.io.Stdout, "Logged in to %s as organisation %s: profile %q saved in %s\n", p.URL, p.Organisation, name, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "save without checking the token")
	return cmd
}
