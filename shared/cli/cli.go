// Package cli is the berth command line: the command tree (on
// github.com/spf13/cobra), the settings each command resolves (profile,
// URL, organisation, token, output), and how results, progress and
// problems are printed. cmd/berth is its main; tests run it in process.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/config"
	"github.com/berth-dev/berth/shared/cli/progress"
)

// IO is what a run of the CLI reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// HTTP is the client to the API; a default one when nil.
	HTTP *http.Client
	// Poll is how often a wait asks for news; a second when zero.
	Poll time.Duration
	// Terminal says whether a stream is a terminal; by default, whether
	// it is an *os.File on a terminal.
	Terminal func(io.Writer) bool
}

// ExitError ends a run with Code, having printed what it had to.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs the CLI with the process's streams and environment and
// answers its exit code.
func Main(args []string) int {
	ctx, stop := signalContext()
	defer stop()
	return Run(ctx, args, IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
}

// Run runs one command line and answers its exit code: 0, the remote
// exit code for `run`, 1 for a failure, 2 for a usage error.
func Run(ctx context.Context, args []string, io IO) int {
	if io.Getenv == nil {
		io.Getenv = os.Getenv
	}
	if io.Poll == 0 {
		io.Poll = time.Second
	}
	if io.Terminal == nil {
		io.Terminal = terminal
	}
	a := &app{io: io}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(io.Stdin)
	root.SetOut(io.Stdout)
	root.SetErr(io.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	var usage *usageError
	if errors.As(err, &usage) || isCobraUsage(err) {
		fmt.Fprintf(io.Stderr, "Error: %v\nRun 'berth --help' for usage.\n", err)
		return 2
	}
	a.printError(err)
	return 1
}

// isCobraUsage tells cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "flag needs an argument", "invalid argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// app holds one run's flags and streams.
type app struct {
	io IO
	// Global flags.
	profile, url, org, token, output string
	noWait, noColour                 bool
	// Flags of commands on an environment.
	appName, envName string
}

// Version is the CLI's version, set by `make cli` (-ldflags -X); else the
// module's version from the build information.
var Version string

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "berth",
		Short: "Berth's command line: applications, environments, deployments and jobs, with live progress",
		Long: `berth drives a Berth API. Log in once (berth login), then create applications from
docker-compose files, deploy them, run commands in them and follow their logs.

Settings come from the flags, else BERTH_URL, BERTH_ORG and BERTH_TOKEN, else the profile
(--profile, BERTH_PROFILE, else the current one) in config.json in the user's configuration
folder (BERTH_CONFIG_DIR overrides it).

Commands that start background work show its steps live, and return when it ends (or at
once with --no-wait). In a pipe or CI they print plain lines; --output json prints the
API's JSON on stdout. Colours follow NO_COLOR.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.output != "text" && a.output != "json" {
				return usagef("--output must be text or json, not %q", a.output)
			}
			return nil
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.profile, "profile", "", "the profile to use (default $BERTH_PROFILE, else the current one)")
	f.StringVar(&a.url, "url", "", "the API's URL, such as http://127.0.0.1:3000 (default $BERTH_URL, else the profile's)")
	f.StringVar(&a.org, "org", "", "the organisation (default $BERTH_ORG, else the profile's)")
	f.StringVar(&a.token, "token", "", "the API token (default $BERTH_TOKEN, else the profile's)")
	f.StringVarP(&a.output, "output", "o", "text", "text or json")
	f.BoolVar(&a.noWait, "no-wait", false, "return once the API has accepted the work, without waiting for it")
	f.BoolVar(&a.noColour, "no-color", false, "no colours (also when NO_COLOR is set)")
	root.AddCommand(a.loginCmd(), a.appsCmd(), a.envCmd(), a.deployCmd(), a.stateCmd("stop"), a.stateCmd("start"),
		a.logsCmd(), a.runCmd(), a.cronCmd(), a.varsCmd(), a.secretsCmd(), a.backupsCmd(), a.opsCmd())
	return root
}

// envFlags adds --app and --env to a command on an environment.
func (a *app) envFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.appName, "app", "a", "", "the application (default $BERTH_APP)")
	cmd.Flags().StringVarP(&a.envName, "env", "e", "", "the environment (default $BERTH_ENV, else production)")
}

// appFlag adds --app alone.
func (a *app) appFlag(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.appName, "app", "a", "", "the application (default $BERTH_APP)")
}

func (a *app) application() (string, error) {
	if a.appName == "" {
		a.appName = a.io.Getenv("BERTH_APP")
	}
	if a.appName == "" {
		return "", usagef("which application? give --app NAME (or set BERTH_APP)")
	}
	return a.appName, nil
}

func (a *app) environment() string {
	if a.envName == "" {
		a.envName = a.io.Getenv("BERTH_ENV")
	}
	if a.envName == "" {
		a.envName = "production"
	}
	return a.envName
}

// envPath is the environment's path under the organisation.
func (a *app) envPath() (string, error) {
	app, err := a.application()
	if err != nil {
		return "", err
	}
	return "/applications/" + app + "/environments/" + a.environment(), nil
}

func (a *app) configPath() (string, error) {
	dir, err := config.Dir(a.io.Getenv)
	if err != nil {
		return "", err
	}
	return config.Path(dir), nil
}

// client resolves the settings and answers a client for them.
func (a *app) client() (*client.Client, error) {
	path, err := a.configPath()
	if err != nil {
		return nil, err
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	_, p, err := file.Resolve(a.profile, a.io.Getenv)
	if err != nil {
		return nil, err
	}
	if a.url != "" {
		p.URL = a.url
	}
	if a.org != "" {
		p.Organisation = a.org
	}
	if a.token != "" {
		p.Token = a.token
	}
	return &client.Client{BaseURL: p.URL, Organisation: p.Organisation, Token: p.Token, HTTP: a.io.HTTP, UserAgent: "berth-cli/" + version()}, nil
}

// json says whether to print machine output.
func (a *app) json() bool { return a.output == "json" }

// terminal says whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// colour says whether to colour what goes to w.
func (a *app) colour(w io.Writer) bool {
	return !a.noColour && a.io.Getenv("NO_COLOR") == "" && a.io.Getenv("TERM") != "dumb" && a.io.Terminal(w)
}

// renderer shows progress on stderr: live on a terminal, plain lines
// otherwise.
func (a *app) renderer(title string) progress.Renderer {
	style := progress.Style{Colour: a.colour(a.io.Stderr)}
	if a.io.Terminal(a.io.Stderr) && a.io.Getenv("TERM") != "dumb" && a.io.Getenv("CI") == "" {
		return &progress.Live{W: a.io.Stderr, Title: title, Style: style}
	}
	return &progress.Plain{W: a.io.Stderr, Title: title, Style: style}
}

// printJSON prints raw JSON indented on stdout, its keys in the API's order.
func (a *app) printJSON(raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := a.io.Stdout.Write(b.Bytes())
	return err
}

func (a *app) encode(v any) error {
	enc := json.NewEncoder(a.io.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table prints rows under a header, aligned.
func (a *app) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(a.io.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// printError prints err, and a problem's fields, on stderr.
func (a *app) printError(err error) {
	var p *client.Problem
	red := func(s string) string {
		if a.colour(a.io.Stderr) {
			return "\x1b[31m" + s + "\x1b[0m"
		}
		return s
	}
	if !errors.As(err, &p) {
		fmt.Fprintf(a.io.Stderr, "%s %v\n", red("Error:"), err)
		return
	}
	if a.json() {
		// Machine output: the problem as the API gave it, on stderr.
		enc := json.NewEncoder(a.io.Stderr)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"type": p.Type, "title": p.Title, "status": p.Status, "detail": p.Detail, "instance": p.Instance, "errors": p.Errors, "requestId": p.RequestID})
		return
	}
	fmt.Fprintf(a.io.Stderr, "%s %s\n", red("Error:"), p.Error())
	for _, field := range p.Fields() {
		for _, rule := range p.Errors[field] {
			fmt.Fprintf(a.io.Stderr, "  %s: %s\n", field, rule)
		}
	}
	if p.Type != "" {
		fmt.Fprintf(a.io.Stderr, "  (%s", p.Type)
		if p.RequestID != "" {
			fmt.Fprintf(a.io.Stderr, ", request %s", p.RequestID)
		}
		fmt.Fprintln(a.io.Stderr, ")")
	}
}

// or is s, or dash when empty.
func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
