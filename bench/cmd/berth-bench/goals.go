package main

import "strings"

// The developers' guide judges a function's size and cold start against
// bench/floor, the hello-world that makes one DynamoDB GetItem: an API
// function may be 1.10× its size and 1.15× its cold start, a workflow
// step 1.25× both.
const (
	apiSizeLimit      = 1.10
	apiColdStartLimit = 1.15
	stepLimit         = 1.25
)

// limits are a function's bounds, as multiples of the floor's figures.
type limits struct{ Size, ColdStart float64 }

func limitsOf(function string) limits {
	if strings.HasPrefix(function, "step-") {
		return limits{Size: stepLimit, ColdStart: stepLimit}
	}
	return limits{Size: apiSizeLimit, ColdStart: apiColdStartLimit}
}
