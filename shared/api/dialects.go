package api

import (
	"context"
	"io"
	"net/http"

	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/dialect"
)

type dialectKey struct{}

// withDialect makes the request's problems take d's error shape.
func withDialect(d *dialect.Dialect, h http.HandlerFunc) http.HandlerFunc {
	if d == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r.WithContext(context.WithValue(r.Context(), dialectKey{}, d)))
	}
}

func dialectOf(ctx context.Context) *dialect.Dialect {
	d, _ := ctx.Value(dialectKey{}).(*dialect.Dialect)
	return d
}

// dialectRoute adapts a dialect's handler to a route: it reads the body as
// JSON whatever its Content-Type, hands the handler the token's
// organisations, and writes its reply as JSON.
func dialectRoute(h dialect.Handler) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, dialect.MaxBody))
			if err != nil {
				fail(w, r, bodyReadError(err))
				return
			}
			body = b
		}
		p := principalFrom(r.Context())
		pending := audit.PendingFrom(r.Context())
		reply, err := h(r.Context(), dialect.Call{
			Organisations: p.Organisations, By: p.TokenID, Body: body,
			Path: r.PathValue, Query: r.URL.Query(), Service: s.Dialects,
			Acting: func(org string) {
				if pending != nil {
					pending.Event.Organisation = org
				}
			},
		})
		if err != nil {
			fail(w, r, err)
			return
		}
		if reply.Location != "" {
			// Behind API Gateway's stage, as the caller addresses the API.
			w.Header().Set("Location", publicPath(r, reply.Location))
		}
		if reply.Body == nil {
			w.WriteHeader(reply.Status)
			return
		}
		writeJSON(w, reply.Status, reply.Body)
	}
}
