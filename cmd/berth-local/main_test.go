package main

import "testing"

func TestSandboxFaults(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	f, err := sandboxFaults(env(map[string]string{"BERTH_SANDBOX_FAULTS": "0.1", "BERTH_SANDBOX_SEED": "42"}))
	if err != nil || f.Rate != 0.1 || f.Seed != 42 {
		t.Fatalf("0.1 and 42: %+v, %v", f, err)
	}
	a, _ := sandboxFaults(env(nil))
	b, _ := sandboxFaults(env(nil))
	if a.Rate != 0 || a.Seed == b.Seed {
		t.Fatalf("defaults: %+v and %+v, want no faults and a random seed", a, b)
	}
	for _, bad := range []map[string]string{{"BERTH_SANDBOX_FAULTS": "1.5"}, {"BERTH_SANDBOX_FAULTS": "ten"}, {"BERTH_SANDBOX_SEED": "-1"}} {
		if _, err := sandboxFaults(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
