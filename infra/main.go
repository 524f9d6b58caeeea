// Command infra is Berth's CDK app. cdk.json at the repository root runs
// it (`make synth`, `make deploy`); configuration comes from CDK context
// only (see infra/README.md).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/infra/berth"
)

func main() {
	err := run()
	// Close stops the jsii kernel and removes its files. jsii-runtime-go
	// 1.119 may then print "Runtime process exited abnormally: waitid: no
	// child processes": it waits on the kernel twice. It is harmless.
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	// The function check reads nested stacks' templates (the dialects'
	// routes) through their asset paths. The CDK CLI turns asset metadata
	// on by default; so does `go run ./infra` on its own.
	if app.Node().TryGetContext(jsii.String("aws:cdk:enable-asset-metadata")) == nil {
		app.Node().SetContext(jsii.String("aws:cdk:enable-asset-metadata"), true)
	}
	cfg, err := berth.ConfigFromContext(app.Node())
	if err != nil {
		return err
	}
	if _, err := berth.NewStack(app, cfg.StackName, &berth.StackProps{
		StackProps: awscdk.StackProps{Env: environment()},
		Config:     cfg,
	}); err != nil {
		return err
	}
	if cfg.Nag {
		berth.AddNagChecks(app)
	}
	assembly := app.Synth(nil)
	for _, st := range *assembly.Stacks() {
		template, _ := st.Template().(map[string]any)
		problems, _, err := berth.CheckAssembly(*assembly.Directory(), template)
		if err != nil {
			return fmt.Errorf("stack %s: %w", *st.StackName(), err)
		}
		if len(problems) > 0 {
			return fmt.Errorf("stack %s: every function must be %s on %s:\n  %s",
				*st.StackName(), berth.FunctionRuntime, berth.FunctionArchitecture, strings.Join(problems, "\n  "))
		}
	}
	return nil
}

// environment is the account and region the CDK CLI resolved from the
// caller's credentials, if any. Without them the stack is
// environment-agnostic, which `cdk synth` accepts offline.
func environment() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" && region == "" {
		return nil
	}
	env := &awscdk.Environment{}
	if account != "" {
		env.Account = jsii.String(account)
	}
	if region != "" {
		env.Region = jsii.String(region)
	}
	return env
}
