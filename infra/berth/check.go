package berth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// NestedTemplates reads the templates of the stacks nested in a
// synthesized template (the dialects' routes, DialectStack), and of any
// nested in those, from the cloud assembly directory dir, by the logical
// id of their AWS::CloudFormation::Stack resource: a nested stack's id is
// its parent's, a slash, and its own (Cfv2Routes). The CDK puts a nested
// template in the assembly as an asset of its parent; aws:asset:path names
// its file, so the templates must be synthesized with asset metadata (the
// CDK CLI's default; aws:cdk:enable-asset-metadata).
func NestedTemplates(dir string, template map[string]any) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	var walk func(prefix string, template map[string]any) error
	walk = func(prefix string, template map[string]any) error {
		resources, _ := template["Resources"].(map[string]any)
		for _, id := range sortedKeys(resources) {
			r, _ := resources[id].(map[string]any)
			if r["Type"] != "AWS::CloudFormation::Stack" {
				continue
			}
			md, _ := r["Metadata"].(map[string]any)
			file, _ := md["aws:asset:path"].(string)
			if file == "" {
				return fmt.Errorf("nested stack %s%s has no aws:asset:path metadata: synthesize with asset metadata (aws:cdk:enable-asset-metadata, the CDK CLI's default)", prefix, id)
			}
			raw, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				return fmt.Errorf("nested stack %s%s: %w", prefix, id, err)
			}
			var nested map[string]any
			if err := json.Unmarshal(raw, &nested); err != nil {
				return fmt.Errorf("nested stack %s%s: %s: %w", prefix, id, file, err)
			}
			out[prefix+id] = nested
			if err := walk(prefix+id+"/", nested); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", template); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckAssembly is CheckFunctions over a synthesized stack's template and
// the templates of the stacks nested in it (NestedTemplates), read from
// the cloud assembly directory dir. A nested stack's findings name its
// logical id first: Cfv2Routes/Cfv2ListAppsFunction.
func CheckAssembly(dir string, template map[string]any) (problems, skipped []string, err error) {
	problems, skipped = CheckFunctions(template)
	nested, err := NestedTemplates(dir, template)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range sortedKeys(nested) {
		p, s := CheckFunctions(nested[id])
		for _, x := range p {
			problems = append(problems, id+"/"+x)
		}
		for _, x := range s {
			skipped = append(skipped, id+"/"+x)
		}
	}
	return problems, skipped, nil
}
