package sandbox

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc"

// objectsServer serves Objects over a temporary folder, whose clock
// reads *now.
func objectsServer(t *testing.T, now *time.Time) (*Objects, string) {
	t.Helper()
	o := &Objects{Dir: filepath.Join(t.TempDir(), "s3"), Now: func() time.Time { return *now }}
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv.URL
}

// do sends a request with the raw path (not cleaned by anyone) and
// returns its status and body.
func do(t *testing.T, method, rawURL, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestObjectsPutGetDelete(t *testing.T) {
	now := time.Now()
	o, base := objectsServer(t, &now)
	u := base + "/berth-backups/backups/acme/app/prod/files/b1.tar.gz"
	if resp, body := do(t, http.MethodPut, u, testAuth, "hello"); resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != `"5d41402abc4b2a76b9719d911017c592"` {
		t.Fatalf("PUT: %d %s, ETag %s", resp.StatusCode, body, resp.Header.Get("ETag"))
	}
	path, _ := o.Path("berth-backups", "backups/acme/app/prod/files/b1.tar.gz")
	if got, err := os.ReadFile(path); err != nil || string(got) != "hello" {
		t.Fatalf("file %q, %v", got, err)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	resp, body := do(t, http.MethodGet, u, testAuth, "")
	if resp.StatusCode != http.StatusOK || body != "hello" || resp.Header.Get("Content-Length") != "5" {
		t.Errorf("GET: %d %q, Content-Length %q", resp.StatusCode, body, resp.Header.Get("Content-Length"))
	}
	if resp, body := do(t, http.MethodHead, u, testAuth, ""); resp.StatusCode != http.StatusOK || resp.ContentLength != 5 || body != "" {
		t.Errorf("HEAD: %d, length %d, body %q", resp.StatusCode, resp.ContentLength, body)
	}
	for range 2 {
		if resp, body := do(t, http.MethodDelete, u, testAuth, ""); resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE: %d %s, want 204", resp.StatusCode, body)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	// A folder, the prefix of other keys, is no object.
	do(t, http.MethodPut, base+"/berth-backups/a/b", testAuth, "x")
	if resp, _ := do(t, http.MethodDelete, base+"/berth-backups/a", testAuth, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE of a prefix: %d, want 204", resp.StatusCode)
	}
	if resp, body := do(t, http.MethodGet, base+"/berth-backups/a/b", testAuth, ""); body != "x" {
		t.Errorf("a/b after deleting a: %d %q", resp.StatusCode, body)
	}
}

func TestObjectsMissing(t *testing.T) {
	now := time.Now()
	_, base := objectsServer(t, &now)
	do(t, http.MethodPut, base+"/berth-backups/a/file", testAuth, "x")
	for _, key := range []string{"nothing", "a/nothing", "a", "a/file/under-a-file"} {
		resp, body := do(t, http.MethodGet, base+"/berth-backups/"+key, testAuth, "")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<Code>NoSuchKey</Code>") || resp.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("GET %s: %d %s, want 404 NoSuchKey", key, resp.StatusCode, body)
		}
		resp, body = do(t, http.MethodHead, base+"/berth-backups/"+key, testAuth, "")
		if resp.StatusCode != http.StatusNotFound || body != "" {
			t.Errorf("HEAD %s: %d %q, want 404 and no body", key, resp.StatusCode, body)
		}
	}
}

// TestObjectsTraversal: no key reaches a file outside its bucket's
// folder, encoded or not, with or without a signature.
func TestObjectsTraversal(t *testing.T) {
	now := time.Now()
	o, base := objectsServer(t, &now)
	for _, p := range []string{
		"/berth-backups/../escape", "/berth-backups/a/../../escape", "/berth-backups/%2e%2e/escape",
		"/berth-backups/a/%2E%2E/%2e%2e/escape", "/berth-backups//escape", "/berth-backups/a//b",
		"/berth-backups/./a", "/../escape/x", "/Not_A_Bucket/x", "/berth-backups/a%00b",
	} {
		for _, method := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
			resp, body := do(t, method, base+p, testAuth, "x")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
				t.Errorf("%s %s: %d %s, want 400 InvalidArgument", method, p, resp.StatusCode, body)
			}
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(o.Dir), "*")); len(matches) != 0 {
		t.Errorf("files written beside the sandbox's folder: %v", matches)
	}
	for _, c := range [][2]string{{"b", "x"}, {"berth-backups", "/etc/passwd"}, {"berth-backups", "a/../../x"}, {"berth-backups", ""}, {"berth-backups", "a/"}, {"../x", "y"}} {
		if p, err := o.Path(c[0], c[1]); err == nil {
			t.Errorf("Path(%q, %q) = %s, want an error", c[0], c[1], p)
		}
	}
	if p, err := o.Path("berth-backups", "backups/acme/x.tar"); err != nil || p != filepath.Join(o.Dir, "berth-backups", "backups", "acme", "x.tar") {
		t.Errorf("Path = %s, %v", p, err)
	}
}

func TestObjectsUnauthenticated(t *testing.T) {
	now := time.Now()
	o, base := objectsServer(t, &now)
	u := base + "/berth-backups/k"
	for _, method := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
		resp, body := do(t, method, u, "", "x")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") {
			t.Errorf("%s without a signature: %d %s, want 403 AccessDenied", method, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, http.MethodPut, u, "Basic dXNlcjpwdw==", "x"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PUT with Basic auth: %d, want 400", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "berth-backups", "k")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an unauthenticated PUT wrote: %v", err)
	}
}

// TestObjectsPresignedExpiry: a presigned GET works until X-Amz-Date
// plus X-Amz-Expires and is refused after, with S3's error; a week is
// the longest, and every presign parameter is needed.
func TestObjectsPresignedExpiry(t *testing.T) {
	signed := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	now := signed
	_, base := objectsServer(t, &now)
	do(t, http.MethodPut, base+"/berth-backups/k", testAuth, "data")
	query := func(expires string, drop string) string {
		q := url.Values{
			"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Credential": {"AKID/20261206/us-east-1/s3/aws4_request"},
			"X-Amz-Date": {signed.Format("20060102T150405Z")}, "X-Amz-Expires": {expires},
			"X-Amz-SignedHeaders": {"host"}, "X-Amz-Signature": {"abc"},
			"response-content-disposition": {`attachment; filename="k.tar"`},
		}
		q.Del(drop)
		return base + "/berth-backups/k?" + q.Encode()
	}
	for _, c := range []struct {
		at     time.Duration
		status int
		msg    string
	}{
		{0, 200, ""}, {60 * time.Second, 200, ""}, {-time.Minute, 200, ""},
		{61 * time.Second, 403, "<Code>AccessDenied</Code><Message>Request has expired</Message>"},
		{time.Hour, 403, "Request has expired"},
		{-time.Hour, 403, "Request is not valid yet"},
	} {
		now = signed.Add(c.at)
		resp, body := do(t, http.MethodGet, query("60", ""), "", "")
		if resp.StatusCode != c.status || !strings.Contains(body, c.msg) {
			t.Errorf("at +%s: %d %s, want %d %s", c.at, resp.StatusCode, body, c.status, c.msg)
		}
		if c.status == 200 && (body != "data" || resp.Header.Get("Content-Disposition") != `attachment; filename="k.tar"`) {
			t.Errorf("at +%s: %q, Content-Disposition %q", c.at, body, resp.Header.Get("Content-Disposition"))
		}
	}
	now = signed
	if resp, _ := do(t, http.MethodGet, query("604800", ""), "", ""); resp.StatusCode != 200 {
		t.Errorf("X-Amz-Expires=604800: %d, want 200", resp.StatusCode)
	}
	for _, c := range [][2]string{{"604801", ""}, {"soon", ""}, {"60", "X-Amz-Signature"}, {"60", "X-Amz-Credential"}, {"60", "X-Amz-Date"}} {
		resp, body := do(t, http.MethodGet, query(c[0], c[1]), "", "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "AuthorizationQueryParametersError") {
			t.Errorf("expires %s without %s: %d %s, want 400", c[0], c[1], resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, http.MethodGet, query("60", "X-Amz-Expires"), "", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("without X-Amz-Expires: %d, want 400", resp.StatusCode)
	}
}
