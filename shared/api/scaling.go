package api

import (
	"net/http"

	"github.com/berth-dev/berth/shared/scaling"
)

// The scaling policy routes: thin handlers over shared/scaling. They act
// at once, as Quant's do.

func (s *Server) listScalingPolicies(w http.ResponseWriter, r *http.Request) {
	t, f, ok := scalingRequest(w, r)
	if !ok {
		return
	}
	policies, err := s.Scaling.List(r.Context(), t, f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := scalingPolicyListView{Policies: make([]scalingPolicyView, 0, len(policies))}
	for _, p := range policies {
		out.Policies = append(out.Policies, newScalingPolicyView(p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) upsertScalingPolicy(w http.ResponseWriter, r *http.Request) {
	t, f, ok := scalingRequest(w, r)
	if !ok {
		return
	}
	var body scaling.Request
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	p, err := s.Scaling.Put(r.Context(), t, f.PolicyName, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newScalingPolicyView(p))
}

func (s *Server) deleteScalingPolicy(w http.ResponseWriter, r *http.Request) {
	t, f, ok := scalingRequest(w, r)
	if !ok {
		return
	}
	if err := s.Scaling.Delete(r.Context(), t, f); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// scalingRequest reads the environment from the path and the metric and
// policyName query parameters, when sent.
func scalingRequest(w http.ResponseWriter, r *http.Request) (scaling.Target, scaling.Filter, bool) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return scaling.Target{}, scaling.Filter{}, false
	}
	var f scaling.Filter
	q := r.URL.Query()
	if q.Has("metric") && r.Method != http.MethodPut { // PUT names the metric in its body
		m := q.Get("metric")
		f.Metric = &m
	}
	if q.Has("policyName") {
		n := q.Get("policyName")
		f.PolicyName = &n
	}
	return scaling.Target{Organisation: names[0], Application: names[1], Environment: names[2]}, f, true
}

// scalingPolicyView is Quant's GetScalingPolicyResponse.
type scalingPolicyView struct {
	Metric                  string  `json:"metric"`
	TargetValue             float64 `json:"targetValue"`
	ScaleInCooldownSeconds  int     `json:"scaleInCooldownSeconds"`
	ScaleOutCooldownSeconds int     `json:"scaleOutCooldownSeconds"`
	PolicyName              string  `json:"policyName"`
	ResourceLabel           string  `json:"resourceLabel,omitempty"`
}

// scalingPolicyListView is Quant's ScalingPolicyListResponse.
type scalingPolicyListView struct {
	Policies []scalingPolicyView `json:"policies"`
}

func newScalingPolicyView(p scaling.Policy) scalingPolicyView {
	return scalingPolicyView{Metric: string(p.Metric), TargetValue: p.TargetValue, ScaleInCooldownSeconds: p.ScaleInCooldown,
		ScaleOutCooldownSeconds: p.ScaleOutCooldown, PolicyName: p.Name, ResourceLabel: p.ResourceLabel}
}
