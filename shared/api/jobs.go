package api

import (
	"net/http"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/jobs"
)

// The job routes: thin handlers over shared/jobs. Commands answer on
// Quant's organisation-level paths and under the application alike.

// jobRequest reads the environment's names; the application is absent
// on the organisation-level paths.
func jobRequest(r *http.Request) (jobs.Request, error) {
	params := []string{"organisation", "environment"}
	if r.PathValue("application") != "" {
		params = append(params, "application")
	}
	names, err := pathNames(r, params...)
	if err != nil {
		return jobs.Request{}, err
	}
	req := jobs.Request{Organisation: names[0], Environment: names[1], By: principalFrom(r.Context()).TokenID}
	if len(names) == 3 {
		req.Application = names[2]
	}
	return req, nil
}

func (s *Server) createCommand(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var body jobs.CommandRequest
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	run, env, err := s.Jobs.CreateCommand(r.Context(), req, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", publicPath(r, commandPath(env, run.ID)))
	// Quant answers 200 with the command; it runs on in the background.
	writeJSON(w, http.StatusOK, newRunView(run))
}

// commandPath is where a command answers, under its application.
func commandPath(env apps.Environment, id string) string {
	return environmentPath(env.Organisation, env.Application, env.Name) + "/commands/" + id
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := pageRequest(r, commandsList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Jobs.ListCommands(r.Context(), req, page)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeRuns(w, r, page, commandsList, res)
}

func writeRuns(w http.ResponseWriter, r *http.Request, page apps.PageRequest, list string, res apps.Page[jobs.Run]) {
	out := make([]runView, 0, len(res.Items))
	for _, run := range res.Items {
		out = append(out, newRunView(run))
	}
	setNextLink(w, r, page, encodeToken(list, res.Next))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCommand(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	run, err := s.Jobs.GetCommand(r.Context(), req, r.PathValue("command"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRunView(run))
}

func (s *Server) cancelCommand(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	run, err := s.Jobs.CancelCommand(r.Context(), req, r.PathValue("command"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, newRunView(run))
}

func (s *Server) listCronJobs(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := pageRequest(r, cronList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Jobs.ListCrons(r.Context(), req, page)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]cronView, 0, len(res.Items))
	for _, c := range res.Items {
		out = append(out, newCronView(c))
	}
	setNextLink(w, r, page, encodeToken(cronList, res.Next))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createCronJob(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var body jobs.CronRequest
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	c, err := s.Jobs.CreateCron(r.Context(), req, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", publicPath(r, environmentPath(req.Organisation, req.Application, req.Environment)+"/cron/"+c.Name))
	writeJSON(w, http.StatusCreated, newCronView(c))
}

func (s *Server) getCronJob(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	c, err := s.Jobs.GetCron(r.Context(), req, r.PathValue("cron"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newCronView(c))
}

func (s *Server) updateCronJob(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var body jobs.CronRequest
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	c, err := s.Jobs.UpdateCron(r.Context(), req, r.PathValue("cron"), body)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newCronView(c))
}

func (s *Server) deleteCronJob(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := s.Jobs.DeleteCron(r.Context(), req, r.PathValue("cron")); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCronJobRuns(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := pageRequest(r, cronRunsList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Jobs.ListCronRuns(r.Context(), req, r.PathValue("cron"), page)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeRuns(w, r, page, cronRunsList, res)
}

func (s *Server) getCronRun(w http.ResponseWriter, r *http.Request) {
	req, err := jobRequest(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	run, err := s.Jobs.GetCronRun(r.Context(), req, r.PathValue("cron"), r.PathValue("run"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRunView(run))
}

// runView is Quant's Command (and CronRun), with Berth's fields after.
type runView struct {
	RunID   string `json:"runId"`
	RunType string `json:"runType"`
	Command string `json:"command"`
	Status  string `json:"status"`
	// Quant's Command has no nulls: what is not known yet is left out.
	StartTime           *time.Time `json:"startTime,omitempty"`
	EndTime             *time.Time `json:"endTime,omitempty"`
	ExitCode            *int       `json:"exitCode,omitempty"`
	Output              []string   `json:"output"`
	ScheduleName        *string    `json:"scheduleName,omitempty"`
	TargetContainerName string     `json:"targetContainerName"`
	CommandArgs         []string   `json:"commandArgs"`
	Shell               bool       `json:"shell"`
	TimeoutSeconds      int        `json:"timeoutSeconds"`
	Reason              string     `json:"reason,omitempty"`
	CancelRequested     bool       `json:"cancelRequested"`
	ScheduledTime       *time.Time `json:"scheduledTime,omitempty"`
	CreatedBy           string     `json:"createdBy,omitempty"`
	CreatedAt           time.Time  `json:"createdAt"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newRunView(r jobs.Run) runView {
	v := runView{RunID: r.ID, RunType: r.Type, Command: r.CommandLine(), Status: string(r.Status),
		StartTime: timeOrNil(r.StartedAt), EndTime: timeOrNil(r.EndedAt), ExitCode: r.ExitCode, Output: r.Output,
		TargetContainerName: r.Container, CommandArgs: r.Command, Shell: r.Shell, TimeoutSeconds: int(r.Timeout / time.Second),
		Reason: r.Reason, CancelRequested: r.CancelRequested, ScheduledTime: timeOrNil(r.ScheduledTime),
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	if v.Output == nil {
		v.Output = []string{}
	}
	if r.Cron != "" {
		name := r.Cron
		v.ScheduleName = &name
	}
	return v
}

// cronView is Quant's Cron, with Berth's fields after.
type cronView struct {
	Name                string    `json:"name"`
	Description         *string   `json:"description"`
	ScheduleExpression  string    `json:"scheduleExpression"`
	Command             []string  `json:"command"`
	TargetContainerName string    `json:"targetContainerName"`
	IsEnabled           bool      `json:"isEnabled"`
	TimeoutSeconds      int       `json:"timeoutSeconds"`
	RunningRun          string    `json:"runningRunId,omitempty"`
	CreatedBy           string    `json:"createdBy,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt"`
}

func newCronView(c jobs.Cron) cronView {
	v := cronView{Name: c.Name, ScheduleExpression: c.Expression, Command: c.Command, TargetContainerName: c.Container,
		IsEnabled: c.Enabled, TimeoutSeconds: int(c.Timeout / time.Second), RunningRun: c.Running,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Description != "" {
		d := c.Description
		v.Description = &d
	}
	return v
}
