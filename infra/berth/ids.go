package berth

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/provision"
)

// routeName is what a route's name may be: words of lower-case letters and
// digits, each starting with a letter, joined by single hyphens. A route's
// function is the construct pascal(name) in its stack, and pascal is then
// one name's only: "a-1b" and "a1b" would both give A1b, "a--b" and "a-b"
// AB.
var routeName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$`)

// ReservedIDs are the construct ids a stack gives its children other than
// functions: the main stack's (dialect "") or a dialect's nested stack's
// (DialectStack). Ids with a character pascal never makes (a dot, a colon,
// an underscore, a lower-case first letter: QoveryRoutes.NestedStack,
// Shared_organization, CDK's reference parameters) cannot collide with a
// function's and are left out. TestReservedIDsCoverTheStacks checks the
// lists against the synthesized stacks. dialects are the names of the
// dialects with routes: the main stack holds their nested stacks.
func ReservedIDs(dialect string, workflows []apps.Workflow, dialects []string) []string {
	if dialect != "" {
		// addMethods' imported API and invoke role, the throttle alarms,
		// and the shell role if a dialect's route issues shell access.
		return []string{"Api", "ApiInvokeRole", "Alarms", "ShellRole"}
	}
	ids := []string{
		// CDK's own.
		"CDKMetadata", "BootstrapVersion", "CheckBootstrapVersion",
		// NewStack's, in the order it makes them.
		"Table", "Backups", "DataPlane", "DataTaskRole", "Workflows", "ReconcileSchedule",
		"Api", "ApiAccessLogs", "ApiAuthorizer", "ApiInvokeRole",
		"SchedulerRole", "ShellRole", "Alarms", "Site",
		// Its outputs.
		"ApiUrl", "TableName", "UsagePlanName", "SiteBucketName", "SiteUrl", "SiteDistributionId",
		"LoadBalancerDnsName", "ClusterName", "BackupsBucketName",
	}
	for _, w := range workflows {
		ids = append(ids, pascal(string(w))+"StateMachineArn")
	}
	for _, d := range dialects {
		ids = append(ids, DialectStackID(d))
	}
	return ids
}

// checkRouteIDs fails, naming the routes, when two routes would make the
// same construct in one stack, or a route's would take the id of another
// of its stack's constructs: CDK would stop the synthesis with "There is
// already a Construct with name ..." and no word of the routes. Each
// route's name is one function's (functions/<name>), unlike the
// authorizer's, the reconciler's and the steps' (all in the main stack).
func checkRouteIDs(routes []api.Route, workflows []apps.Workflow) error {
	_, _, dialects := splitRoutes(routes)
	taken := map[string]map[string]string{} // stack (dialect name, "" for the main stack) -> id -> what has it
	claim := func(stack, id, what string) error {
		if taken[stack] == nil {
			taken[stack] = map[string]string{}
			for _, r := range ReservedIDs(stack, workflows, dialects) {
				taken[stack][r] = "the stack's own construct " + r
			}
			if stack == "" {
				taken[stack]["Authorizer"] = "the authorizer's function"
				taken[stack]["Reconcile"] = "the reconciler's function"
				for _, step := range provision.StepNames {
					taken[stack][pascal(step)] = "step " + step + "'s function"
				}
			}
		}
		if other, ok := taken[stack][id]; ok {
			where := "the main stack"
			if stack != "" {
				where = "nested stack " + DialectStackID(stack)
			}
			return fmt.Errorf("%s: its construct id %s in %s is already %s; rename the route", what, id, where, other)
		}
		taken[stack][id] = what
		return nil
	}
	functions := append([]string{AuthorizerFunction, ReconcileFunction}, provision.StepNames...)
	var names []string
	for _, rt := range routes {
		what := "route " + rt.Name
		if !routeName.MatchString(rt.Name) {
			return fmt.Errorf("%s: a route's name is lower-case words of letters and digits, each starting with a letter, joined by single hyphens (%s): it names the route's function and its construct id", what, routeName)
		}
		if slices.Contains(names, rt.Name) {
			return fmt.Errorf("%s: two routes have this name; each route has a function of its own, functions/%s", what, rt.Name)
		}
		if slices.Contains(functions, rt.Name) {
			return fmt.Errorf("%s: functions/%s is not a route's function", what, rt.Name)
		}
		names = append(names, rt.Name)
		stack := ""
		if rt.Dialect != nil {
			stack = rt.Dialect.Name
		}
		if err := claim(stack, pascal(rt.Name), what); err != nil {
			return err
		}
	}
	return nil
}
