package main

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// PerRequest is one route's per-request work (BenchmarkRoute in
// bench/request) beside the plain aws-lambda-go handler (BenchmarkPlain).
type PerRequest struct {
	Route             string  `json:"route"`
	NsPerOp           float64 `json:"nsPerOp"`
	BytesPerOp        float64 `json:"bytesPerOp"`
	AllocsPerOp       float64 `json:"allocsPerOp"`
	DynamoDBCalls     float64 `json:"dynamoDBCallsPerRequest"`
	ConditionalWrites float64 `json:"conditionalWritesPerRequest"`
	Writes            float64 `json:"writesPerRequest"`
	PlainNsPerOp      float64 `json:"plainNsPerOp"`
	PlainAllocsPerOp  float64 `json:"plainAllocsPerOp"`
	RatioNs           float64 `json:"ratioNsToPlain"`
	RatioAllocs       float64 `json:"ratioAllocsToPlain"`
	MeetsCalls        bool    `json:"meetsCallsGoal"`
}

var benchLine = regexp.MustCompile(`^Benchmark(Route|Plain)/(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

// perRequest reads the bench/request figures from `go test -bench` output.
func perRequest(path string) ([]PerRequest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byRoute := map[string]*PerRequest{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		metrics := map[string]float64{}
		fields := strings.Fields(m[4])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err == nil {
				metrics[fields[i+1]] = v
			}
		}
		p := byRoute[m[2]]
		if p == nil {
			p = &PerRequest{Route: m[2]}
			byRoute[m[2]] = p
			order = append(order, m[2])
		}
		if m[1] == "Route" {
			p.NsPerOp, p.BytesPerOp, p.AllocsPerOp = metrics["ns/op"], metrics["B/op"], metrics["allocs/op"]
			p.DynamoDBCalls, p.ConditionalWrites, p.Writes = metrics["ddb-calls/op"], metrics["ddb-cond-writes/op"], metrics["ddb-writes/op"]
		} else {
			p.PlainNsPerOp, p.PlainAllocsPerOp = metrics["ns/op"], metrics["allocs/op"]
		}
	}
	var out []PerRequest
	for _, r := range order {
		p := byRoute[r]
		if p.PlainNsPerOp > 0 {
			p.RatioNs = round(p.NsPerOp/p.PlainNsPerOp, 2)
		}
		if p.PlainAllocsPerOp > 0 {
			p.RatioAllocs = round(p.AllocsPerOp/p.PlainAllocsPerOp, 2)
		}
		if p.Writes == 0 {
			p.MeetsCalls = p.DynamoDBCalls == 1
		} else {
			p.MeetsCalls = p.DynamoDBCalls == 1 && p.ConditionalWrites == 1
		}
		out = append(out, *p)
	}
	return out, sc.Err()
}
