package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/metrics"
)

// The observability routes: thin handlers over shared/logs,
// shared/metrics and shared/shell.

// FollowWindow is the longest a followed log stream stays open by
// default: inside API Gateway's 29 seconds, after which the client
// reconnects with Last-Event-ID.
const FollowWindow = 20 * time.Second

func (s *Server) getEnvironmentLogs(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	q, err := logs.ParseQuery(r.URL.Query(), s.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	follow := r.URL.Query().Get("follow")
	switch follow {
	case "", "false":
	case "true":
		s.followLogs(w, r, names, q)
		return
	default:
		fail(w, r, invalidField("follow", fmt.Sprintf("must be true or false; got %q", follow)))
		return
	}
	page, err := s.Logs.Read(r.Context(), names[0], names[1], names[2], q)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := logsView{LogEvents: make([]logEventView, 0, len(page.Events))}
	for _, e := range page.Events {
		out.LogEvents = append(out.LogEvents, newLogEventView(e))
	}
	if page.NextToken != "" {
		out.NextToken = &page.NextToken
	}
	writeJSON(w, http.StatusOK, out)
}

// followLogs streams lines as Server-Sent Events until FollowWindow (or the
// function's deadline) ends, then ends the response; an EventSource
// reconnects by itself, sending the last event's id as Last-Event-ID.
func (s *Server) followLogs(w http.ResponseWriter, r *http.Request, names []string, q logs.Query) {
	var after logs.Cursor
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		c, err := logs.ParseCursor(id)
		if err != nil {
			fail(w, r, invalidField("Last-Event-ID", err.Error()))
			return
		}
		after = c
	}
	window := s.FollowWindow
	if window <= 0 {
		window = FollowWindow
	}
	until := s.now().Add(window)
	if d, ok := r.Context().Deadline(); ok && d.Add(-2*time.Second).Before(until) {
		until = d.Add(-2 * time.Second)
	}
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "retry: 1000\n\n")
	}
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	_, err := s.Logs.Follow(r.Context(), names[0], names[1], names[2], q, after, until, func(e logs.Event) error {
		start()
		doc, _ := json.Marshal(newLogEventView(e)) // a view always encodes
		c := logs.Cursor{At: e.Timestamp, ID: e.ID}
		if _, err := fmt.Fprintf(w, "id: %s\nevent: log\ndata: %s\n\n", c, doc); err != nil {
			return err
		}
		flush()
		return nil
	})
	if err != nil && !started {
		fail(w, r, err)
		return
	}
	start()
	flush()
}

// logsView is Quant's getEnvironmentLogs_200_response.
type logsView struct {
	LogEvents []logEventView `json:"logEvents"`
	NextToken *string        `json:"nextToken"`
}

// logEventView is Quant's log event, with the stream it came from.
type logEventView struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	LogStreamName string `json:"logStreamName,omitempty"`
}

func newLogEventView(e logs.Event) logEventView {
	return logEventView{Timestamp: e.Timestamp.UnixMilli(), Message: e.Message, LogStreamName: e.Stream}
}

func (s *Server) getEnvironmentMetrics(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	q, err := metrics.ParseQuery(r.URL.Query(), s.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Metrics.Read(r.Context(), names[0], names[1], names[2], q)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newMetricsView(res))
}

// metricsView is getEnvironmentMetrics' answer, which Quant's document
// leaves open ("CloudWatch metrics data").
type metricsView struct {
	StartTime     int64        `json:"startTime"`
	EndTime       int64        `json:"endTime"`
	Period        int          `json:"period"`
	Statistics    []string     `json:"statistics"`
	ContainerName *string      `json:"containerName"`
	Metrics       []metricView `json:"metrics"`
}

type metricView struct {
	Name       string          `json:"name"`
	Namespace  string          `json:"namespace"`
	MetricName string          `json:"metricName"`
	Unit       string          `json:"unit"`
	Datapoints []datapointView `json:"datapoints"`
}

type datapointView struct {
	Timestamp int64              `json:"timestamp"`
	Values    map[string]float64 `json:"values"`
}

func newMetricsView(res metrics.Result) metricsView {
	out := metricsView{StartTime: res.Params.Start.UnixMilli(), EndTime: res.Params.End.UnixMilli(), Period: res.Params.Period,
		Statistics: res.Params.Statistics, Metrics: []metricView{}}
	if res.Params.Container != "" {
		out.ContainerName = &res.Params.Container
	}
	for _, m := range res.Metrics {
		mv := metricView{Name: m.Name, Namespace: m.Namespace, MetricName: m.MetricName, Unit: m.Unit, Datapoints: []datapointView{}}
		for _, p := range m.Points {
			mv.Datapoints = append(mv.Datapoints, datapointView{Timestamp: p.Timestamp.UnixMilli(), Values: p.Values})
		}
		out.Metrics = append(out.Metrics, mv)
	}
	return out
}

func (s *Server) getSshAccess(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	sess, err := s.Shell.Open(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // credentials
	writeJSON(w, http.StatusOK, sshAccessView{
		Success: true,
		Credentials: sshCredentialsView{AccessKeyID: sess.Credentials.AccessKeyID, SecretAccessKey: sess.Credentials.SecretAccessKey,
			SessionToken: sess.Credentials.SessionToken, Expiration: sess.Credentials.Expiration.UTC()},
		ClusterName: sess.Cluster, TaskARN: sess.TaskARN, TaskID: sess.TaskID, ContainerNames: sess.Containers, Region: sess.Region,
		ExpiresIn: int(sess.ExpiresIn / time.Second), OrganizationScope: sess.Organisation, Command: sess.Command,
	})
}

// sshAccessView is Quant's getSshAccessCredentials_200_response, with the
// command a user pastes.
type sshAccessView struct {
	Success           bool               `json:"success"`
	Credentials       sshCredentialsView `json:"credentials"`
	ClusterName       string             `json:"clusterName"`
	TaskARN           string             `json:"taskArn"`
	TaskID            string             `json:"taskId"`
	ContainerNames    []string           `json:"containerNames"`
	Region            string             `json:"region"`
	ExpiresIn         int                `json:"expiresIn"`
	OrganizationScope string             `json:"organizationScope"`
	Command           string             `json:"command"`
}

type sshCredentialsView struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
}
