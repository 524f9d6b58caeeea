package berth

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/api"
)

// DialectStack holds the routes of one other API dialect (Cloud Foundry
// v2 or v3, Qovery: api.Route.Dialect), in a nested stack of its own:
// their functions with their roles and log groups, their resources and
// methods on the main stack's REST API, the role API Gateway invokes them
// as, and their throttle alarms. The main stack holds Berth's own routes
// and is near CloudFormation's 500 resources and 1 MB template; each
// nested stack is a template with limits of its own.
type DialectStack struct {
	awscdk.NestedStack
	// Name is the dialect's (api.Route.Dialect.Name): cfv2, cfv3, qovery.
	Name   string
	Routes []api.Route
	// Functions are the routes' functions, by route name.
	Functions map[string]*Function
}

// DialectStackID is the construct id, and the logical id in the main
// stack's template, of a dialect's nested stack: Cfv2Routes, QoveryRoutes.
func DialectStackID(dialect string) string {
	return pascal(dialect) + "Routes"
}

// splitRoutes separates Berth's own routes (no Dialect) from the other
// dialects', grouped by dialect name in name order.
func splitRoutes(routes []api.Route) (own []api.Route, dialects map[string][]api.Route, names []string) {
	dialects = map[string][]api.Route{}
	for _, rt := range routes {
		if rt.Dialect == nil {
			own = append(own, rt)
			continue
		}
		if _, ok := dialects[rt.Dialect.Name]; !ok {
			names = append(names, rt.Dialect.Name)
		}
		dialects[rt.Dialect.Name] = append(dialects[rt.Dialect.Name], rt)
	}
	slices.Sort(names)
	return own, dialects, names
}

// dialectName is what a dialect's name may be: it makes logical ids.
var dialectName = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)

// newDialectStack makes a dialect's nested stack, with a fixed logical id.
func newDialectStack(s *Stack, name string, routes []api.Route) (*DialectStack, error) {
	id := DialectStackID(name)
	if !dialectName.MatchString(name) {
		return nil, fmt.Errorf("dialect %q: a dialect's name is lower-case letters and digits (cfv2, qovery): it names the nested stack %s", name, id)
	}
	d := &DialectStack{
		NestedStack: awscdk.NewNestedStack(s.Stack, jsii.String(id), &awscdk.NestedStackProps{
			Description: jsii.String(fmt.Sprintf("Berth: the %s dialect's %d routes (functions and API methods)", name, len(routes))),
		}),
		Name: name, Routes: routes, Functions: map[string]*Function{},
	}
	d.NestedStackResource().OverrideLogicalId(jsii.String(id))
	return d, nil
}

// pathPrefixes lists a route path's prefixes, segment by segment, without
// the leading slash: a/b/c gives a, a/b, a/b/c.
func pathPrefixes(pattern string) []string {
	parts := strings.Split(strings.Trim(pattern, "/"), "/")
	out := make([]string, 0, len(parts))
	for i := range parts {
		out = append(out, strings.Join(parts[:i+1], "/"))
	}
	return out
}

// sharedPaths are the API paths (without the leading slash) that routes
// of more than one stack lie under, in order: the main stack makes their
// resources, and the nested stacks import them. An API Gateway resource
// is one path; two stacks making the same one would collide.
func sharedPaths(own []api.Route, dialects map[string][]api.Route) []string {
	stacksOf := map[string]map[string]bool{}
	add := func(stack string, routes []api.Route) {
		for _, rt := range routes {
			for _, p := range pathPrefixes(rt.Pattern) {
				if stacksOf[p] == nil {
					stacksOf[p] = map[string]bool{}
				}
				stacksOf[p][stack] = true
			}
		}
	}
	add("", own)
	for name, routes := range dialects {
		add(name, routes)
	}
	var shared []string
	for p, stacks := range stacksOf {
		if len(stacks) > 1 {
			shared = append(shared, p)
		}
	}
	slices.Sort(shared)
	return shared
}

// addMethods puts the dialect's methods on the main stack's REST API,
// imported into the nested stack by id and root resource id. A route's
// path below the deepest shared path (sharedPaths) is made here; the
// shared part is the main stack's resource, imported.
func (d *DialectStack) addMethods(a API, shared []string, functions map[string]awslambda.IFunction) error {
	restAPI := awsapigateway.RestApi_FromRestApiAttributes(d.NestedStack, jsii.String("Api"), &awsapigateway.RestApiAttributes{
		RestApiId:      a.RestAPI.RestApiId(),
		RootResourceId: a.RestAPI.RestApiRootResourceId(),
	})
	bases := map[string]awsapigateway.IResource{"": restAPI.Root()}
	resourceFor := func(path string) awsapigateway.IResource {
		base := ""
		for _, p := range pathPrefixes(path) {
			if slices.Contains(shared, p) {
				base = p
			}
		}
		if _, ok := bases[base]; !ok {
			bases[base] = awsapigateway.Resource_FromResourceAttributes(d.NestedStack, jsii.String("Shared_"+strings.ReplaceAll(base, "/", "_")), &awsapigateway.ResourceAttributes{
				RestApi:    restAPI,
				ResourceId: a.RestAPI.Root().ResourceForPath(jsii.String(base)).ResourceId(),
				Path:       jsii.String("/" + base),
			})
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(path, base), "/")
		if rest == "" {
			return bases[base]
		}
		return bases[base].ResourceForPath(jsii.String(rest))
	}
	if err := addRouteMethods(d.NestedStack, "Api", d.Routes, functions, a.Authorizer, resourceFor); err != nil {
		return fmt.Errorf("dialect %s: %w", d.Name, err)
	}
	// The methods are the main API's; its suppression covers only what is
	// under the RestApi construct in the main stack.
	suppress(restAPI, "AwsSolutions-COG4", "Callers authenticate with Berth's own API tokens, checked by the Lambda TOKEN authorizer (shared/authorizer); Berth has no Cognito user pool.")
	for base, r := range bases {
		if base == "" {
			continue // the root, under restAPI
		}
		suppress(r, "AwsSolutions-COG4", "Callers authenticate with Berth's own API tokens, checked by the Lambda TOKEN authorizer (shared/authorizer); Berth has no Cognito user pool.")
	}
	return nil
}

// deployWithDialects makes the API's deployment wait for the dialects'
// nested stacks, which add methods to the API that the main stack's
// automatic deployment does not see, and gives it a new logical id (a new
// deployment) whenever the set of their routes changes. Without dialect
// routes the deployment is left as it was.
func deployWithDialects(a API, dialects []*DialectStack) {
	deployment := a.RestAPI.LatestDeployment()
	for _, d := range dialects {
		for _, rt := range d.Routes {
			deployment.AddToLogicalId(fmt.Sprintf("%s %s %s %s", d.Name, rt.Method, rt.Pattern, rt.Name))
		}
		deployment.Node().AddDependency(d.NestedStack)
	}
}
