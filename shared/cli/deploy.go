package cli

import (
	"net/http"

	"github.com/spf13/cobra"
)

func (a *app) deployCmd() *cobra.Command {
	var imageTag, composeFile, imageSuffix string
	cmd := &cobra.Command{
		Use:   "deploy (--image-tag TAG | -f docker-compose.yml) --app APP [--env ENV]",
		Short: "Deploy an image tag or a compose file to an environment, and follow the deployment",
		Long: `--image-tag redeploys the environment with every image at that tag (update-environment-state,
action redeploy). -f sends a docker-compose file through the API's compose validation and
deploys its definition (update-environment).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (imageTag == "") == (composeFile == "") {
				return usagef("deploy needs one of --image-tag TAG or -f docker-compose.yml")
			}
			path, err := a.envPath()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			method, target, body := http.MethodPut, path+"/state", map[string]any{"action": "redeploy", "imageTag": imageTag}
			if composeFile != "" {
				def, err := a.translateCompose(ctx, c, composeFile, a.appName, imageSuffix)
				if err != nil {
					return err
				}
				target, body = path, map[string]any{"composeDefinition": def}
			}
			resp, err := c.Do(ctx, method, target, body)
			if err != nil {
				return err
			}
			name := a.appName + "/" + a.environment()
			return a.waitOperation(ctx, c, resp, "Deploying "+name, "deployment of "+name)
		},
	}
	a.envFlags(cmd)
	cmd.Flags().StringVar(&imageTag, "image-tag", "", "the tag every image runs")
	cmd.Flags().StringVarP(&composeFile, "file", "f", "", "a docker-compose file to deploy")
	cmd.Flags().StringVar(&imageSuffix, "image-suffix", "", "with -f: point internal images at the tag {container}-{suffix}")
	return cmd
}

// stateCmd is stop or start: update-environment-state with that action.
func (a *app) stateCmd(action string) *cobra.Command {
	short := map[string]string{"stop": "Stop an environment (0 tasks), and wait until it is stopped",
		"start": "Start a stopped environment again, and wait until it runs"}[action]
	cmd := &cobra.Command{
		Use:   action + " --app APP [--env ENV]",
		Short: short,
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
			resp, err := c.Do(cmd.Context(), http.MethodPut, path+"/state", map[string]any{"action": action})
			if err != nil {
				return err
			}
			name := a.appName + "/" + a.environment()
			return a.waitOperation(cmd.Context(), c, resp, map[string]string{"stop": "Stopping ", "start": "Starting "}[action]+name, action+" of "+name)
		},
	}
	a.envFlags(cmd)
	return cmd
}
