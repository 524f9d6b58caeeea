package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/operations"
)

// StatusStopped is how an ACTIVE environment that was stopped shows.
const StatusStopped = "STOPPED"

// The deployment routes: thin handlers over shared/deploy.

func (s *Server) updateEnvironment(w http.ResponseWriter, r *http.Request) {
	var body deploy.ReplaceRequest
	s.deployChange(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Deploy.Replace(r.Context(), req, body)
	})
}

func (s *Server) patchEnvironmentCompose(w http.ResponseWriter, r *http.Request) {
	var body deploy.PatchRequest
	s.deployChangeWith(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Deploy.Patch(r.Context(), req, body)
	}, func(w http.ResponseWriter, dep deploy.Deployment, env apps.Environment) {
		// Quant answers the full definition the deployment rolls out.
		writeJSON(w, http.StatusAccepted, newPatchedComposeView(env.Compose))
	})
}

func (s *Server) updateEnvironmentState(w http.ResponseWriter, r *http.Request) {
	var body deploy.StateRequest
	s.deployChange(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Deploy.ChangeState(r.Context(), req, body)
	})
}

func (s *Server) listContainers(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	env, err := s.Apps.GetEnvironment(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(env.Version))
	writeJSON(w, http.StatusOK, containersOf(env.Compose))
}

func (s *Server) updateContainer(w http.ResponseWriter, r *http.Request) {
	var body compose.Container
	name := r.PathValue("container")
	s.deployChangeWith(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Deploy.UpdateContainer(r.Context(), req, name, body)
	}, func(w http.ResponseWriter, dep deploy.Deployment, env apps.Environment) {
		for _, c := range env.Compose.Containers {
			if c.Name == name {
				writeJSON(w, http.StatusAccepted, c) // Quant answers the updated container
				return
			}
		}
		writeJSON(w, http.StatusAccepted, body)
	})
}

func containersOf(d compose.Definition) []compose.Container {
	if d.Containers == nil {
		return []compose.Container{}
	}
	return d.Containers
}

func (s *Server) rollbackRelease(w http.ResponseWriter, r *http.Request) {
	n, err := deploy.ReleaseNumber(r.PathValue("release"))
	if err != nil {
		fail(w, r, err)
		return
	}
	s.deployChange(w, r, nil, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Deploy.Rollback(r.Context(), req, n)
	})
}

// deployChange decodes body (when not nil), runs the change and answers
// 202 with the deployment, its Location and the environment's new ETag.
func (s *Server) deployChange(w http.ResponseWriter, r *http.Request, body any, change func(deploy.Request) (deploy.Deployment, apps.Environment, error)) {
	s.deployChangeWith(w, r, body, change, func(w http.ResponseWriter, dep deploy.Deployment, env apps.Environment) {
		writeJSON(w, http.StatusAccepted, newDeploymentView(dep))
	})
}

func (s *Server) deployChangeWith(w http.ResponseWriter, r *http.Request, body any, change func(deploy.Request) (deploy.Deployment, apps.Environment, error),
	answer func(http.ResponseWriter, deploy.Deployment, apps.Environment)) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	req := deploy.Request{Organisation: names[0], Application: names[1], Environment: names[2], By: principalFrom(r.Context()).TokenID}
	if req.IfVersion, err = ifMatch(r); err != nil {
		fail(w, r, err)
		return
	}
	if body != nil {
		if err := decodeBody(w, r, body, FieldsWarn); err != nil {
			fail(w, r, err)
			return
		}
	}
	dep, env, err := change(req)
	if err != nil {
		fail(w, r, err)
		return
	}
	setOperation(w, r, env.Organisation, operations.OfDeployment(env, dep.Number))
	w.Header().Set("ETag", etag(env.Version))
	answer(w, dep, env)
}

// etag is an environment's entity tag: its version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads If-Match: one entity tag, as GET environment sends it, or *.
func ifMatch(r *http.Request) (*int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || !strings.HasSuffix(h, `"`) {
		return nil, invalidField("If-Match", `must be the ETag a GET of the environment answered, such as "7"`)
	}
	return &v, nil
}

func (s *Server) getEnvironmentCompose(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	env, err := s.Apps.GetEnvironment(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(env.Version))
	writeJSON(w, http.StatusOK, env.Compose)
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	names, page, ok := s.historyRequest(w, r, releasesList)
	if !ok {
		return
	}
	res, err := s.Deploy.Releases(r.Context(), names[0], names[1], names[2], page)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]releaseView, 0, len(res.Items))
	for _, rel := range res.Items {
		out = append(out, newReleaseView(rel))
	}
	setNextLink(w, r, page, encodeToken(releasesList, res.Next))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	names, page, ok := s.historyRequest(w, r, deploymentsList)
	if !ok {
		return
	}
	res, err := s.Deploy.Deployments(r.Context(), names[0], names[1], names[2], page)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]deploymentRecordView, 0, len(res.Items))
	for _, d := range res.Items {
		out = append(out, newDeploymentView(d))
	}
	setNextLink(w, r, page, encodeToken(deploymentsList, res.Next))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) historyRequest(w http.ResponseWriter, r *http.Request, list string) ([]string, apps.PageRequest, bool) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return nil, apps.PageRequest{}, false
	}
	page, err := pageRequest(r, list)
	if err != nil {
		fail(w, r, err)
		return nil, apps.PageRequest{}, false
	}
	return names, page, true
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	n, err := deploymentNumber(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	dep, err := s.Deploy.Deployment(r.Context(), names[0], names[1], names[2], n)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newDeploymentView(dep))
}

func (s *Server) cancelDeployment(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	n, err := deploymentNumber(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	dep, env, err := s.Deploy.Cancel(r.Context(), names[0], names[1], names[2], n, "")
	if err != nil {
		fail(w, r, err)
		return
	}
	// The workflow stops at its next step and rolls back: poll the operation.
	setOperation(w, r, env.Organisation, operations.OfDeployment(env, dep.Number))
	writeJSON(w, http.StatusAccepted, newDeploymentView(dep))
}

func deploymentNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("deployment"))
	if err != nil || n < 1 || strconv.Itoa(n) != r.PathValue("deployment") {
		return 0, invalidField("deployment", "must be a deployment number (1 or more, no leading zeros)")
	}
	return n, nil
}

// releaseView is a release as the API shows it.
type releaseView struct {
	Release           int                `json:"release"`
	Digest            string             `json:"digest"`
	Images            []string           `json:"images"`
	Cause             string             `json:"cause"`
	CreatedBy         string             `json:"createdBy,omitempty"`
	CreatedAt         time.Time          `json:"createdAt"`
	TaskDefinitionARN string             `json:"taskDefinitionArn,omitempty"`
	ComposeDefinition compose.Definition `json:"composeDefinition"`
}

func newReleaseView(r deploy.Release) releaseView {
	images := r.Images
	if images == nil {
		images = []string{}
	}
	return releaseView{Release: r.Number, Digest: "sha256:" + r.Digest, Images: images, Cause: r.Cause, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, TaskDefinitionARN: r.TaskDefinitionARN, ComposeDefinition: r.Compose}
}

// deploymentRecordView is a deployment as the API shows it.
type deploymentRecordView struct {
	Deployment              int        `json:"deployment"`
	Action                  string     `json:"action"`
	Release                 int        `json:"release"`
	PreviousRelease         int        `json:"previousRelease"`
	DesiredCount            int        `json:"desiredCount"`
	Status                  string     `json:"status"`
	DeploymentFailureType   string     `json:"deploymentFailureType,omitempty"`
	DeploymentFailureReason string     `json:"deploymentFailureReason,omitempty"`
	LogLines                []string   `json:"logLines,omitempty"`
	RolledBack              bool       `json:"rolledBack"`
	CancelRequested         bool       `json:"cancelRequested,omitempty"`
	Execution               string     `json:"execution"`
	CreatedBy               string     `json:"createdBy,omitempty"`
	CreatedAt               time.Time  `json:"createdAt"`
	FinishedAt              *time.Time `json:"finishedAt,omitempty"`
}

func newDeploymentView(d deploy.Deployment) deploymentRecordView {
	v := deploymentRecordView{Deployment: d.Number, Action: string(d.Action), Release: d.Release, PreviousRelease: d.PreviousRelease,
		DesiredCount: d.DesiredCount, Status: string(d.Status), DeploymentFailureType: d.FailureType,
		DeploymentFailureReason: d.FailureReason, LogLines: d.LogLines, RolledBack: d.RolledBack, CancelRequested: d.CancelRequested, Execution: d.Execution, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt}
	if !d.FinishedAt.IsZero() {
		at := d.FinishedAt
		v.FinishedAt = &at
	}
	return v
}

// patchedComposeView is Quant's patchEnvironmentCompose_202_response, which
// types taskCpu and taskMemory as strings.
type patchedComposeView struct {
	Architecture             string                     `json:"architecture,omitempty"`
	TaskCPU                  string                     `json:"taskCpu,omitempty"`
	TaskMemory               string                     `json:"taskMemory,omitempty"`
	MinCapacity              int                        `json:"minCapacity"`
	MaxCapacity              int                        `json:"maxCapacity"`
	Containers               []compose.Container        `json:"containers"`
	SpotConfiguration        *compose.SpotConfiguration `json:"spotConfiguration,omitempty"`
	EnableCrossEnvNetworking bool                       `json:"enableCrossEnvNetworking"`
	EnableCrossAppNetworking bool                       `json:"enableCrossAppNetworking"`
}

func newPatchedComposeView(d compose.Definition) patchedComposeView {
	v := patchedComposeView{Containers: d.Containers, SpotConfiguration: d.SpotConfiguration}
	if d.Architecture != nil {
		v.Architecture = *d.Architecture
	}
	if d.TaskCPU != nil {
		v.TaskCPU = strconv.Itoa(*d.TaskCPU)
	}
	if d.TaskMemory != nil {
		v.TaskMemory = strconv.Itoa(*d.TaskMemory)
	}
	if d.MinCapacity != nil {
		v.MinCapacity = *d.MinCapacity
	}
	if d.MaxCapacity != nil {
		v.MaxCapacity = *d.MaxCapacity
	}
	v.EnableCrossEnvNetworking = d.EnableCrossEnvNetworking != nil && *d.EnableCrossEnvNetworking
	v.EnableCrossAppNetworking = d.EnableCrossAppNetworking != nil && *d.EnableCrossAppNetworking
	if v.Containers == nil {
		v.Containers = []compose.Container{}
	}
	return v
}
