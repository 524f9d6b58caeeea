package api

import (
	"net/http"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/volumes"
)

// The volume routes: thin handlers over shared/volumes. They act at once,
// as Quant's do.

func (s *Server) listVolumes(w http.ResponseWriter, r *http.Request) {
	t, ok := volumeTarget(w, r)
	if !ok {
		return
	}
	env, err := s.Volumes.List(r.Context(), t)
	if err != nil {
		fail(w, r, err)
		return
	}
	fs := filesystemOf(env)
	out := make([]volumeView, 0, len(env.Volumes))
	for _, v := range env.Volumes {
		out = append(out, newVolumeView(fs, v))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createVolume(w http.ResponseWriter, r *http.Request) {
	t, ok := volumeTarget(w, r)
	if !ok {
		return
	}
	var body volumes.Request
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	env, v, created, err := s.Volumes.Create(r.Context(), t, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // the same volume, asked for again
	}
	writeJSON(w, status, newVolumeView(filesystemOf(env), v))
}

func (s *Server) getVolume(w http.ResponseWriter, r *http.Request) {
	t, ok := volumeTarget(w, r)
	if !ok {
		return
	}
	env, v, err := s.Volumes.Get(r.Context(), t, r.PathValue("volume"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newVolumeView(filesystemOf(env), v))
}

func (s *Server) deleteVolume(w http.ResponseWriter, r *http.Request) {
	t, ok := volumeTarget(w, r)
	if !ok {
		return
	}
	if err := s.Volumes.Delete(r.Context(), t, r.PathValue("volume")); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func volumeTarget(w http.ResponseWriter, r *http.Request) (volumes.Target, bool) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return volumes.Target{}, false
	}
	return volumes.Target{Organisation: names[0], Application: names[1], Environment: names[2]}, true
}

// filesystemOf is the application filesystem's id, which Quant calls the
// environment's EFS id: Berth's environments share their application's.
func filesystemOf(env apps.Environment) string { return env.Outputs[apps.OutFilesystemID] }
