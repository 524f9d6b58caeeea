package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/operations"
)

// The operations routes: thin handlers over shared/operations.

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	org, id, ok := operationRequest(w, r)
	if !ok {
		return
	}
	op, err := s.Operations.Get(r.Context(), org, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newOperationView(org, op))
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request) {
	org, id, ok := operationRequest(w, r)
	if !ok {
		return
	}
	op, err := s.Operations.Cancel(r.Context(), org, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", publicPath(r, operationPath(org, op.ID)))
	writeJSON(w, http.StatusAccepted, newOperationView(org, op))
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	ops, err := s.Operations.List(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]operationView, 0, len(ops))
	for _, op := range ops {
		out = append(out, newOperationView(names[0], op))
	}
	writeJSON(w, http.StatusOK, out)
}

func operationRequest(w http.ResponseWriter, r *http.Request) (string, operations.ID, bool) {
	org, err := pathNames(r, "organisation")
	if err != nil {
		fail(w, r, err)
		return "", operations.ID{}, false
	}
	id, err := operations.Parse(r.PathValue("operation"))
	if err != nil {
		fail(w, r, invalidField("operation", err.Error()))
		return "", operations.ID{}, false
	}
	return org[0], id, true
}

func operationPath(org string, id operations.ID) string {
	return "/api/v3/organizations/" + org + "/operations/" + id.String()
}

// setOperation points Location at the operation a 202 started.
func setOperation(w http.ResponseWriter, r *http.Request, org string, id operations.ID) {
	w.Header().Set("Location", publicPath(r, operationPath(org, id)))
}

type operationView struct {
	ID          string         `json:"id"`
	Operation   string         `json:"operation"`
	Application string         `json:"application"`
	Environment string         `json:"environment,omitempty"`
	Deployment  int            `json:"deployment,omitempty"`
	Status      string         `json:"status"`
	Percent     int            `json:"percent"`
	Steps       []stepProgress `json:"steps"`
	Error       string         `json:"error,omitempty"`
	StartedAt   *time.Time     `json:"startedAt,omitempty"`
	FinishedAt  *time.Time     `json:"finishedAt,omitempty"`
	Cancellable bool           `json:"cancellable"`
	// Target is the record the operation acts on.
	Target string `json:"target"`
}

func newOperationView(org string, op operations.Operation) operationView {
	v := operationView{ID: op.ID.String(), Operation: string(op.ID.Workflow), Application: op.ID.Application,
		Environment: op.ID.Environment, Deployment: op.ID.Deployment, Status: string(op.Status), Percent: op.Percent,
		Steps: []stepProgress{}, Error: op.Error, StartedAt: optionalTime(op.Started), FinishedAt: optionalTime(op.Finished),
		Cancellable: op.Cancellable, Target: applicationPath(org, op.ID.Application)}
	if op.ID.Environment != "" {
		v.Target += "/environments/" + op.ID.Environment
	}
	if op.ID.Workflow == apps.DeployEnvironment {
		v.Target += "/deployments/" + strconv.Itoa(op.ID.Deployment)
	}
	for _, s := range op.Steps {
		v.Steps = append(v.Steps, stepProgress{Name: s.Name, State: string(s.State), Detail: s.Detail,
			StartedAt: optionalTime(s.StartedAt), FinishedAt: optionalTime(s.FinishedAt)})
	}
	return v
}
