package api

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/composefile"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// validateComposeRequest is Quant's validateCompose_request. Quant's
// description also names the file yamlContent; either key is read.
type validateComposeRequest struct {
	Compose     *string `json:"compose"`
	YAMLContent *string `json:"yamlContent"`
	ImageSuffix *string `json:"imageSuffix"`
	Application *string `json:"application"`
}

// composeValidation is Quant's validateCompose_200_response.
type composeValidation struct {
	Message                     string             `json:"message"`
	TranslatedComposeDefinition compose.Definition `json:"translatedComposeDefinition"`
	TranslationWarnings         []string           `json:"translationWarnings"`
}

// imageSuffixRE is Quant's imageSuffix pattern; 100 characters leave a
// container name room in a 128-character tag.
var imageSuffixRE = pattern.New(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`, 1, 100)

func (s *Server) validateCompose(w http.ResponseWriter, r *http.Request) {
	if _, err := pathNames(r, "organisation"); err != nil {
		fail(w, r, err)
		return
	}
	var req validateComposeRequest
	if err := decodeBody(w, r, &req, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	errs := validation.Errors{}
	src := req.Compose
	switch {
	case req.Compose != nil && req.YAMLContent != nil:
		errs.Add("compose", "send the file once: compose or yamlContent, not both")
	case req.Compose == nil && req.YAMLContent == nil:
		errs.Add("compose", "is required")
	case req.Compose == nil:
		src = req.YAMLContent
	}
	suffix, field := req.ImageSuffix, "imageSuffix"
	if q := r.URL.Query(); q.Has("imageSuffix") {
		// The query parameter takes precedence, as in Quant's API.
		v := q.Get("imageSuffix")
		suffix, field = &v, "imageSuffix (query)"
		if len(q["imageSuffix"]) > 1 {
			errs.Add("imageSuffix", "must be given once")
		}
	}
	if suffix != nil && !imageSuffixRE.MatchString(*suffix) {
		errs.Add(field, "must be 1 to 100 characters of a-z, 0-9 and -, starting and ending with a letter or digit")
	}
	if req.Application != nil {
		apps.CheckName(errs, "application", *req.Application)
	}
	if len(errs) > 0 {
		fail(w, r, invalid(errs))
		return
	}
	if s.Compose == nil {
		fail(w, r, errors.New("validate-compose: the server has no compose translator"))
		return
	}
	opts := composefile.Options{}
	if suffix != nil {
		opts.ImageSuffix = *suffix
	}
	res, err := s.Compose(r.Context(), []byte(*src), opts)
	var cerr *composefile.Error
	switch {
	case errors.As(err, &cerr) && cerr.Syntax != "":
		writeProblem(w, r, kindCompose, "The compose file is not valid: "+cerr.Syntax,
			validation.Errors{"compose": {"is not a valid compose file: " + cerr.Syntax}})
		return
	case errors.As(err, &cerr):
		writeProblem(w, r, kindCompose, composeMessage(cerr.Fields), cerr.Fields)
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	writeJSON(w, http.StatusOK, composeValidation{
		Message:                     "The compose file is valid and translates to a Berth compose definition.",
		TranslatedComposeDefinition: res.Definition,
		TranslationWarnings:         res.Warnings,
	})
}

// composeMessage says which services broke which rules, in one line.
func composeMessage(errs validation.Errors) string {
	fields := make([]string, 0, len(errs))
	for f := range errs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + ": " + strings.Join(errs[f], "; ")
	}
	return "The compose file cannot be translated: " + strings.Join(parts, "; ") + "."
}
