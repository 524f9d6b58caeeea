package api

import (
	"net/http"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/deploy"
)

// The configuration routes: thin handlers over shared/configuration. A
// change answers 202 with the deployment that rolls it out.

func (s *Server) listVariables(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	vars, err := s.Configuration.Variables(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	out := variablesView{Variables: make([]configuration.Variable, 0, len(vars))}
	for _, v := range vars {
		out.Variables = append(out.Variables, configuration.Variable{Name: v.Name, Value: v.Value})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) replaceVariables(w http.ResponseWriter, r *http.Request) {
	var body configuration.ReplaceRequest
	s.deployChange(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Configuration.ReplaceVariables(r.Context(), req, body)
	})
}

func (s *Server) setVariable(w http.ResponseWriter, r *http.Request) {
	var body configuration.ValueRequest
	s.deployChange(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Configuration.SetVariable(r.Context(), req, r.PathValue("variable"), body)
	})
}

func (s *Server) deleteVariable(w http.ResponseWriter, r *http.Request) {
	s.deployChange(w, r, nil, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Configuration.DeleteVariable(r.Context(), req, r.PathValue("variable"))
	})
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	secrets, err := s.Configuration.SecretsOf(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	out := secretsView{Secrets: make([]secretView, 0, len(secrets))}
	for _, sv := range secrets {
		out.Secrets = append(out.Secrets, secretView{Name: sv.Name, Version: sv.Version, UpdatedAt: sv.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setSecret(w http.ResponseWriter, r *http.Request) {
	var body configuration.ValueRequest
	s.deployChange(w, r, &body, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Configuration.SetSecret(r.Context(), req, r.PathValue("secret"), body)
	})
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	s.deployChange(w, r, nil, func(req deploy.Request) (deploy.Deployment, apps.Environment, error) {
		return s.Configuration.DeleteSecret(r.Context(), req, r.PathValue("secret"))
	})
}

// variablesView lists an environment's variables.
type variablesView struct {
	Variables []configuration.Variable `json:"variables"`
}

// secretsView lists an environment's secrets: names and versions, never values.
type secretsView struct {
	Secrets []secretView `json:"secrets"`
}

type secretView struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}
