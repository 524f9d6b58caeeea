package provision

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
)

type aslState struct {
	Type           string         `json:"Type"`
	Resource       string         `json:"Resource"`
	Parameters     map[string]any `json:"Parameters"`
	TimeoutSeconds int            `json:"TimeoutSeconds"`
	Retry          []struct {
		ErrorEquals    []string `json:"ErrorEquals"`
		JitterStrategy string   `json:"JitterStrategy"`
		MaxAttempts    int      `json:"MaxAttempts"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
	} `json:"Catch"`
	Branches []aslMachine `json:"Branches"`
}

type aslMachine struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

var lambdaErrors = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}

// TestDefinitionsFollowTaskHygiene: every Task invokes a step function that
// exists with its own workflow's name, has a timeout, retries Lambda's
// service errors with jitter (and never retries everything, which would
// stack on the SDK's retries), a cloud step retries the cloud's being
// unavailable past the SDK's retries, and every failure is caught.
func TestDefinitionsFollowTaskHygiene(t *testing.T) {
	keys := map[string]string{}
	for _, name := range StepNames {
		keys["${"+SubstitutionKey(name)+"}"] = name
	}
	for _, wf := range apps.Workflows {
		raw, err := os.ReadFile("../../statemachines/" + string(wf) + ".asl.json")
		if err != nil {
			t.Fatal(err)
		}
		var m aslMachine
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", wf, err)
		}
		tasks := 0
		var walk func(m aslMachine, caughtOutside bool)
		walk = func(m aslMachine, caughtOutside bool) {
			for name, st := range m.States {
				where := string(wf) + "/" + name
				if st.Type == "Parallel" {
					for _, b := range st.Branches {
						walk(b, false) // each branch task catches its own failure: see provision-application
					}
				}
				if st.Type != "Task" {
					continue
				}
				tasks++
				if _, ok := keys[st.Resource]; !ok {
					t.Errorf("%s invokes %q, which is no step function", where, st.Resource)
				}
				if st.Parameters["workflow"] != string(wf) {
					t.Errorf("%s tells its step the workflow is %v", where, st.Parameters["workflow"])
				}
				// A cloud step is told what to do, to a group it serves.
				if step, err := FindStep(keys[st.Resource]); err == nil && NeedsCloud(step.Name) {
					g, _ := st.Parameters["group"].(string)
					if !slices.Contains(step.Groups, Group(g)) {
						t.Errorf("%s asks %s for group %q; it serves %v", where, step.Name, g, step.Groups)
					}
					if a, _ := st.Parameters["action"].(string); !slices.Contains([]Action{ActionCreate, ActionCheck, ActionCleanup, ActionLogs}, Action(a)) {
						t.Errorf("%s asks %s to %q", where, step.Name, a)
					}
				} else if st.Parameters["group"] != nil || st.Parameters["action"] != nil {
					t.Errorf("%s gives %s a group or action", where, st.Resource)
				}
				if st.TimeoutSeconds <= 0 || st.TimeoutSeconds > 300 {
					t.Errorf("%s: TimeoutSeconds %d", where, st.TimeoutSeconds)
				}
				lambdaRetried, unavailableRetried := false, false
				for _, r := range st.Retry {
					if slices.Contains(r.ErrorEquals, "States.ALL") || slices.Contains(r.ErrorEquals, ErrCloud) {
						t.Errorf("%s retries %v: cloud errors were retried by the SDK already", where, r.ErrorEquals)
					}
					if r.JitterStrategy != "FULL" || r.MaxAttempts == 0 {
						t.Errorf("%s: a retry without jitter or attempts", where)
					}
					if slices.Equal(r.ErrorEquals, lambdaErrors) {
						lambdaRetried = true
					}
					if slices.Contains(r.ErrorEquals, ErrCloudUnavailable) {
						unavailableRetried = true
						if r.MaxAttempts < 3 {
							t.Errorf("%s retries %s only %d times", where, ErrCloudUnavailable, r.MaxAttempts)
						}
					}
				}
				// Past the SDK's own retries, throttling and 5xx go on for a while: a cloud
				// step, idempotent, is retried on them, and no other step is.
				if isCloud := st.Parameters["group"] != nil; unavailableRetried != isCloud {
					t.Errorf("%s: a cloud step %v, retries %s %v", where, isCloud, ErrCloudUnavailable, unavailableRetried)
				}
				if !lambdaRetried {
					t.Errorf("%s does not retry Lambda's service errors", where)
				}
				// The failure path's own tasks (recording the failure) end in a Fail state instead.
				isFailurePath := st.Parameters["outcome"] == string(OutcomeFailed) || name == "Compensate"
				if !isFailurePath && len(st.Catch) == 0 && !caughtOutside {
					t.Errorf("%s: a failure here is not caught, so nothing would compensate or record it", where)
				}
			}
		}
		walk(m, false)
		if tasks == 0 {
			t.Errorf("%s has no tasks", wf)
		}
	}
}
