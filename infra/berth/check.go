package berth

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
)

// Runtime and architecture every Berth function must have.
const (
	FunctionRuntime      = "provided.al2023"
	FunctionArchitecture = "arm64"
)

// cdkProviderPath matches the construct path of a CDK custom resource
// provider's handler (here: the one that strips the VPC's default security
// group of its rules). CDK owns its Node.js code; it is no Berth function.
var cdkProviderPath = regexp.MustCompile(`^[^/]+/Custom::[A-Za-z0-9]+CustomResourceProvider/Handler$`)

// CheckFunctions reports every AWS::Lambda::Function in a synthesized
// template that is not provided.al2023 on arm64 with a bootstrap handler.
// cdk-nag's runtime rule (AwsSolutions-L1) skips provided.* runtimes, so
// this is the check that holds the line. CDK's own custom resource
// providers are left out and listed in skipped.
func CheckFunctions(template map[string]any) (problems, skipped []string) {
	resources, _ := template["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r, _ := resources[id].(map[string]any)
		if r["Type"] != "AWS::Lambda::Function" {
			continue
		}
		md, _ := r["Metadata"].(map[string]any)
		if path, _ := md["aws:cdk:path"].(string); cdkProviderPath.MatchString(path) {
			skipped = append(skipped, id)
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		if rt := props["Runtime"]; rt != FunctionRuntime {
			problems = append(problems, fmt.Sprintf("%s: runtime %v, want %s", id, rt, FunctionRuntime))
		}
		archs, _ := props["Architectures"].([]any)
		if !slices.Equal(archs, []any{FunctionArchitecture}) {
			problems = append(problems, fmt.Sprintf("%s: architectures %v, want [%s]", id, archs, FunctionArchitecture))
		}
		if h := props["Handler"]; h != "bootstrap" {
			problems = append(problems, fmt.Sprintf("%s: handler %v, want bootstrap", id, h))
		}
	}
	return problems, skipped
}
