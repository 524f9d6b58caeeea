package berth_test

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Helpers to read a synthesized CloudFormation template.

type resource struct {
	ID         string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Raw        map[string]any
}

func resources(tpl map[string]any, typ string) []resource {
	all, _ := tpl["Resources"].(map[string]any)
	var out []resource
	for id, v := range all {
		r, _ := v.(map[string]any)
		if typ != "" && r["Type"] != typ {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		md, _ := r["Metadata"].(map[string]any)
		t, _ := r["Type"].(string)
		out = append(out, resource{ID: id, Type: t, Properties: props, Metadata: md, Raw: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func resourceByID(t *testing.T, tpl map[string]any, id string) resource {
	t.Helper()
	all, _ := tpl["Resources"].(map[string]any)
	r, ok := all[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s in the template", id)
	}
	props, _ := r["Properties"].(map[string]any)
	md, _ := r["Metadata"].(map[string]any)
	typ, _ := r["Type"].(string)
	return resource{ID: id, Type: typ, Properties: props, Metadata: md, Raw: r}
}

func onlyResource(t *testing.T, tpl map[string]any, typ string) resource {
	t.Helper()
	rs := resources(tpl, typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

// ref returns X for {"Ref": X}.
func ref(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["Ref"].(string)
	return s, ok
}

// getAtt returns X and A for {"Fn::GetAtt": [X, A]}.
func getAtt(v any) (string, string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", "", false
	}
	l, ok := m["Fn::GetAtt"].([]any)
	if !ok || len(l) != 2 {
		return "", "", false
	}
	id, _ := l[0].(string)
	attr, _ := l[1].(string)
	return id, attr, true
}

// getAttArns lists X for every {"Fn::GetAtt": [X, "Arn"]} inside v.
func getAttArns(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		if id, attr, ok := getAtt(v); ok && attr == "Arn" {
			out = append(out, id)
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// statements lists every policy statement attached to the role: its
// inline policies' and those of AWS::IAM::Policy resources naming it.
func statements(tpl map[string]any, roleID string) []map[string]any {
	var out []map[string]any
	for _, p := range policyDocuments(tpl) {
		if p.role == roleID || slices.Contains(p.roles, roleID) {
			out = append(out, p.statements...)
		}
	}
	return out
}

// policyDocument is one policy of the template: an AWS::IAM::Policy
// (attached to roles) or a role's inline policy (role).
type policyDocument struct {
	id         string
	role       string
	roles      []string
	statements []map[string]any
}

func policyDocuments(tpl map[string]any) []policyDocument {
	var out []policyDocument
	read := func(id string, doc any) policyDocument {
		p := policyDocument{id: id}
		d, _ := doc.(map[string]any)
		sts, _ := d["Statement"].([]any)
		for _, s := range sts {
			if m, ok := s.(map[string]any); ok {
				p.statements = append(p.statements, m)
			}
		}
		return p
	}
	for _, r := range resources(tpl, "AWS::IAM::Policy") {
		p := read(r.ID, r.Properties["PolicyDocument"])
		roles, _ := r.Properties["Roles"].([]any)
		for _, x := range roles {
			if id, ok := ref(x); ok {
				p.roles = append(p.roles, id)
			}
		}
		out = append(out, p)
	}
	for _, r := range resources(tpl, "AWS::IAM::Role") {
		inline, _ := r.Properties["Policies"].([]any)
		for _, x := range inline {
			m, _ := x.(map[string]any)
			p := read(fmt.Sprintf("%s/%v", r.ID, m["PolicyName"]), m["PolicyDocument"])
			p.role = r.ID
			out = append(out, p)
		}
	}
	return out
}

// strs reads a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// statementsWith returns the statements granting any action with prefix.
func statementsWith(sts []map[string]any, prefix string) []map[string]any {
	var out []map[string]any
	for _, s := range sts {
		for _, a := range strs(s["Action"]) {
			if strings.HasPrefix(a, prefix) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}

// withNested is tpl with its nested stacks' resources added, each of
// their parameter references replaced by the value the main stack gives
// that parameter (a nested resource whose id the main stack uses too is
// keyed stack.id). A test that follows a function to its role, grants and
// environment then follows it the same way whichever stack deploys it.
func withNested(tpl map[string]any, nested map[string]map[string]any) (map[string]any, error) {
	main, _ := tpl["Resources"].(map[string]any)
	all := make(map[string]any, len(main))
	for id, r := range main {
		all[id] = r
	}
	for stackID, child := range nested {
		stack, _ := main[stackID].(map[string]any)
		props, _ := stack["Properties"].(map[string]any)
		params, _ := props["Parameters"].(map[string]any)
		res, _ := child["Resources"].(map[string]any)
		for id, r := range res {
			key := id
			if _, dup := all[id]; dup {
				// A construct both stacks make (a throttles alarm): the
				// nested one is keyed by its stack too.
				key = stackID + "." + id
			}
			all[key] = replaceParameterRefs(r, params)
		}
	}
	out := make(map[string]any, len(tpl))
	for k, v := range tpl {
		out[k] = v
	}
	out["Resources"] = all
	return out, nil
}

// replaceParameterRefs copies v with each {"Ref": p} of a parameter in
// params replaced by params[p].
func replaceParameterRefs(v any, params map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if p, ok := x["Ref"].(string); ok && len(x) == 1 {
			if given, ok := params[p]; ok {
				return given
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = replaceParameterRefs(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replaceParameterRefs(e, params)
		}
		return out
	}
	return v
}
