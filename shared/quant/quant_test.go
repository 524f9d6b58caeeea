package quant_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/berth-dev/berth/shared/quant"
)

func load(t *testing.T, path string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../" + path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is invalid: %v", path, err)
	}
	return doc
}

type operation struct {
	method, path string
	op           *openapi3.Operation
}

func operations(doc *openapi3.T) map[string]operation {
	ops := map[string]operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[op.OperationID] = operation{method, path, op}
		}
	}
	return ops
}

// TestTheListNamesRealOperations: every unserved id is an operation of the
// Quant document, and every field entry names one.
func TestTheListNamesRealOperations(t *testing.T) {
	ops := operations(load(t, quant.DocumentPath))
	if len(ops) != 45 {
		t.Fatalf("the Quant document has %d operations, want 45", len(ops))
	}
	for id := range quant.Unserved {
		if _, ok := ops[id]; !ok {
			t.Errorf("Unserved names %q, which the Quant document does not have", id)
		}
	}
	for id, item := range quant.ArrayLists {
		op, ok := ops[id]
		if !ok {
			t.Errorf("ArrayLists names %q, which the Quant document does not have", id)
			continue
		}
		if s := success(op.op); s == nil || s.Items != nil || !strings.HasSuffix(op.op.Responses.Value("200").Value.Content.Get("application/json").Schema.Ref, "/"+item) {
			t.Errorf("ArrayLists: Quant's %s does not answer one %s", id, item)
		}
	}
	for entry := range quant.UnservedFields {
		id, _, _ := strings.Cut(entry, " ")
		if _, ok := ops[id]; !ok || quant.Unserved[id] != "" {
			t.Errorf("UnservedFields names %q, which is not a served Quant operation", entry)
		}
	}
}

// TestServedOperationsKeepQuantsShape fails when docs/openapi.yaml drops or
// changes a Quant operation Berth serves: the same method and path, every
// request body field, and every field of the success response, however
// deep, except those UnservedFields lists.
func TestServedOperationsKeepQuantsShape(t *testing.T) {
	q, b := load(t, quant.DocumentPath), load(t, "docs/openapi.yaml")
	berth := map[string]*openapi3.Operation{}
	for path, item := range b.Paths.Map() {
		for method, op := range item.Operations() {
			berth[method+" "+path] = op
		}
	}
	used := map[string]bool{}
	for id, qo := range operations(q) {
		if quant.Unserved[id] != "" {
			continue
		}
		bo := berth[qo.method+" "+qo.path]
		if bo == nil {
			t.Errorf("%s (%s %s) is served, but docs/openapi.yaml has no such operation", id, qo.method, qo.path)
			continue
		}
		if qb := qo.op.RequestBody; qb != nil {
			if bo.RequestBody == nil {
				t.Errorf("%s: docs/openapi.yaml takes no body", id)
			} else {
				compare(t, id+" request", jsonSchema(qb.Value.Content), jsonSchema(bo.RequestBody.Value.Content), "", nil, 0)
			}
		}
		qs, bs := success(qo.op), success(bo)
		if qs == nil {
			continue
		}
		if bs == nil {
			t.Errorf("%s: docs/openapi.yaml documents no success body", id)
			continue
		}
		if quant.ArrayLists[id] != "" {
			if bs.Items == nil {
				t.Errorf("%s: docs/openapi.yaml should answer an array of %s", id, quant.ArrayLists[id])
				continue
			}
			bs = bs.Items.Value
		}
		compare(t, id, qs, bs, "", used, 0)
	}
	for entry := range quant.UnservedFields {
		if !used[entry] {
			t.Errorf("UnservedFields lists %q, which docs/openapi.yaml now has or Quant's does not: drop it", entry)
		}
	}
}

func jsonSchema(c openapi3.Content) *openapi3.Schema {
	if mt := c.Get("application/json"); mt != nil && mt.Schema != nil {
		return mt.Schema.Value
	}
	return nil
}

// success is the body schema of the first 2xx response that has one.
func success(op *openapi3.Operation) *openapi3.Schema {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if code[0] != '2' {
			continue
		}
		if s := jsonSchema(op.Responses.Value(code).Value.Content); s != nil {
			return s
		}
	}
	return nil
}

// fields merges a schema's properties with those of its allOf, anyOf and
// oneOf parts (Berth spells nullable objects as anyOf with null), gives
// its array items, and the JSON types it allows (none: any).
func fields(s *openapi3.Schema) (map[string]*openapi3.Schema, *openapi3.Schema, map[string]bool) {
	props := map[string]*openapi3.Schema{}
	types := map[string]bool{}
	var items *openapi3.Schema
	var walk func(*openapi3.Schema, int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 4 {
			return
		}
		for _, typ := range s.Type.Slice() {
			types[typ] = true
		}
		for name, p := range s.Properties {
			if props[name] == nil {
				props[name] = p.Value
			}
		}
		if s.Items != nil && items == nil {
			items = s.Items.Value
		}
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range list {
				walk(r.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	return props, items, types
}

func compare(t *testing.T, id string, q, b *openapi3.Schema, path string, used map[string]bool, depth int) {
	t.Helper()
	if q == nil || depth > 8 {
		return
	}
	qp, qi, qt := fields(q)
	bp, bi, bt := fields(b)
	// A type Quant's document gives must be one Berth's allows, where
	// Berth's says (an integer is a number).
	for typ := range qt {
		if len(bt) > 0 && !bt[typ] && !(typ == "number" && bt["integer"]) && !(typ == "integer" && bt["number"]) {
			t.Errorf("%s: %s is %s in Quant's document, but docs/openapi.yaml allows %v", id, orBody(path), typ, keys(bt))
		}
	}
	if qi != nil {
		if bi == nil {
			t.Errorf("%s: %s is an array in Quant's document, not in docs/openapi.yaml", id, orBody(path))
			return
		}
		compare(t, id, qi, bi, path+"[]", used, depth+1)
	}
	names := make([]string, 0, len(qp))
	for name := range qp {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		at := strings.TrimPrefix(path+"."+name, ".")
		at = strings.ReplaceAll(at, "[].", "[]")
		if bp[name] == nil {
			entry := id + " " + at
			if quant.UnservedFields[entry] != "" && used != nil {
				used[entry] = true
				continue
			}
			t.Errorf("%s: docs/openapi.yaml lacks %s, which Quant's document has (serve it, or list it in quant.UnservedFields)", id, at)
			continue
		}
		compare(t, id, qp[name], bp[name], path+"."+name, used, depth+1)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func orBody(path string) string {
	if path == "" {
		return "the body"
	}
	return strings.TrimPrefix(path, ".")
}

// TestTheREADMEShowsTheList: every unserved operation and field is in the
// README's list, so users see it.
func TestTheREADMEShowsTheList(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for id := range quant.Unserved {
		if !strings.Contains(readme, "`"+id+"`") {
			t.Errorf("README does not list the unserved operation `%s`", id)
		}
	}
	for entry := range quant.UnservedFields {
		if !strings.Contains(readme, "`"+entry+"`") {
			t.Errorf("README does not list the unserved field `%s`", entry)
		}
	}
}

var _ = http.MethodGet
