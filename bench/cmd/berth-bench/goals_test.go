package main

import "testing"

func TestLimitsFollowTheGuide(t *testing.T) {
	for fn, want := range map[string]limits{
		"get-environment": {1.10, 1.15}, "authorizer": {1.10, 1.15}, "validate-compose": {1.10, 1.15},
		"step-begin": {1.25, 1.25}, "step-create": {1.25, 1.25},
	} {
		if got := limitsOf(fn); got != want {
			t.Errorf("limitsOf(%q) = %+v, want %+v", fn, got, want)
		}
	}
}
