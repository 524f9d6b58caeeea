package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/validation"
)

// Page sizes for every list.
const (
	DefaultLimit = 25
	MaxLimit     = 100
)

// A nextToken is opaque to clients. It holds the list it belongs to and the
// name the next page starts after; the server rebuilds the DynamoDB key from
// the path, so a token can never reach outside the caller's organisation.
const (
	applicationsList = "a"
	environmentsList = "e"
	tokensList       = "t"
	auditList        = "u"
	releasesList     = "r"
	deploymentsList  = "d"
	commandsList     = "c"
	cronList         = "j"
	cronRunsList     = "k"
	backupsList      = "b"
)

// validAfter checks what a token of each list may hold.
var validAfter = map[string]func(string) bool{
	applicationsList: apps.ValidName,
	environmentsList: apps.ValidName,
	tokensList:       tokenIDRE.MatchString,
	auditList:        store.ValidAuditID,
	releasesList:     positiveNumber,
	deploymentsList:  positiveNumber,
	commandsList:     jobs.ValidRunID,
	cronList:         apps.ValidName,
	cronRunsList:     jobs.ValidRunID,
	backupsList:      data.ValidID,
}

// positiveNumber holds for a release or deployment number.
func positiveNumber(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && strconv.Itoa(n) == s
}

func encodeToken(list, after string) string {
	if after == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + list + ":" + after))
}

func decodeToken(list, token string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	after, ok := strings.CutPrefix(string(raw), "v1:"+list+":")
	if !ok || !validAfter[list](after) {
		return "", false
	}
	return after, true
}

// pageRequest reads limit and nextToken from the query string.
func pageRequest(r *http.Request, list string) (apps.PageRequest, error) {
	q := r.URL.Query()
	page := apps.PageRequest{Limit: DefaultLimit}
	errs := validation.Errors{}
	if s := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit || s[0] == '+' {
			errs.Addf("limit", "must be an integer between 1 and %d", MaxLimit)
		}
		page.Limit = n
	}
	if q.Has("nextToken") {
		after, ok := decodeToken(list, q.Get("nextToken"))
		if !ok {
			errs.Add("nextToken", "must be a nextToken this list returned")
		}
		page.After = after
	}
	if len(errs) > 0 {
		return apps.PageRequest{}, invalid(errs)
	}
	return page, nil
}

// setNextLink points to the next page, when there is one, in an RFC 8288
// Link header: Quant's lists are bare JSON arrays, with no room for a
// token in the body. The target is a query-only reference, resolved
// against the request's own URL (RFC 3986), so it holds behind an API
// Gateway stage or a custom domain's base path, which the handler does not
// see in the path. It repeats the request's other parameters.
func setNextLink(w http.ResponseWriter, r *http.Request, page apps.PageRequest, next string) {
	if next == "" {
		return
	}
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(page.Limit))
	q.Set("nextToken", next)
	w.Header().Add("Link", "<?"+q.Encode()+`>; rel="next"`)
}
