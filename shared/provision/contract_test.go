package provision

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestTheContractListsEveryProgressStep: docs/openapi.yaml's ProgressStep
// names exactly the steps progress may show, so no response carries a
// step name the contract refuses.
func TestTheContractListsEveryProgressStep(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["ProgressStep"]
	if schema == nil || schema.Value.Properties["name"] == nil {
		t.Fatal("docs/openapi.yaml has no ProgressStep.name")
	}
	var names []string
	for _, v := range schema.Value.Properties["name"].Value.Enum {
		names = append(names, v.(string))
	}
	var want []string
	for _, g := range ProgressGroups {
		want = append(want, string(g))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("ProgressStep.name is %v; progress shows %v", names, want)
	}
}
