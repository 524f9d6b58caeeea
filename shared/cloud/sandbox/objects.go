package sandbox

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Objects is the sandbox's S3: a minimal path-style S3 API
// (/<bucket>/<key>) over real files, <Dir>/<bucket>/<key>, enough for
// the SDK's GetObject, HeadObject, PutObject and DeleteObject and for
// presigned GETs. Buckets exist as soon as a key is written. It checks
// that each request is authenticated (an Authorization header, or a
// presigned query that has not expired) but verifies no signature.
type Objects struct {
	Dir string
	// Now is the clock presigned URLs expire by; time.Now when nil.
	Now func() time.Time
}

// MaxPresignExpiry is the longest X-Amz-Expires S3 accepts: a week.
const MaxPresignExpiry = 7 * 24 * time.Hour

// maxObjectSize is the largest object a single PutObject takes, 5 GiB.
const maxObjectSize = 5 << 30

// Presigned query parameters: each presigned request carries them all.
var presignParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// errBadKey is a bucket or key that names no file under Dir.
var errBadKey = errors.New("sandbox: bad bucket or key")

// Path is the file that holds bucket's key. It refuses a bucket that S3
// would not name and a key that would leave the bucket's folder or
// collapse into another's file: an absolute key, an empty, "." or ".."
// segment, a NUL, or more than 1024 bytes. It creates nothing.
func (o *Objects) Path(bucket, key string) (string, error) {
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") {
		return "", fmt.Errorf("%w: bucket %q", errBadKey, bucket)
	}
	if key == "" || len(key) > 1024 || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("%w: key %q", errBadKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: key %q", errBadKey, key)
		}
	}
	root := filepath.Join(o.Dir, bucket)
	p := filepath.Join(root, filepath.FromSlash(key))
	if rel, err := filepath.Rel(root, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%w: key %q", errBadKey, key)
	}
	return p, nil
}

func (o *Objects) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (o *Objects) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if key == "" {
		s3Error(w, r, http.StatusNotImplemented, "NotImplemented", "The sandbox serves object requests only (/<bucket>/<key>).")
		return
	}
	path, err := o.Path(bucket, key)
	if err != nil {
		s3Error(w, r, http.StatusBadRequest, "InvalidArgument", "Invalid bucket or key.")
		return
	}
	q := r.URL.Query()
	for name := range q {
		if !strings.HasPrefix(name, "X-Amz-") && !strings.HasPrefix(name, "response-") && name != "x-id" {
			s3Error(w, r, http.StatusNotImplemented, "NotImplemented", "The sandbox does not serve the subresource or parameter "+name+".")
			return
		}
	}
	if status, code, msg := o.authenticate(r, q); status != 0 {
		s3Error(w, r, status, code, msg)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		getObject(w, r, path, q)
	case http.MethodPut:
		putObject(w, r, path)
	case http.MethodDelete:
		deleteObject(w, r, path)
	default:
		s3Error(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

// authenticate checks that r is signed, as S3 does before anything else,
// and returns the error answer when it is not: status 0 when it is. A
// presigned request carries every presignParams and has not expired;
// any other carries an AWS4-HMAC-SHA256 Authorization header.
func (o *Objects) authenticate(r *http.Request, q map[string][]string) (int, string, string) {
	header := r.Header.Get("Authorization")
	presigned := false
	for _, p := range presignParams {
		if _, ok := q[p]; ok {
			presigned = true
		}
	}
	switch {
	case presigned && header != "":
		return http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	case header != "":
		if !strings.HasPrefix(header, "AWS4-HMAC-SHA256 ") {
			return http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type"
		}
		return 0, "", ""
	case !presigned:
		return http.StatusForbidden, "AccessDenied", "Access Denied"
	}
	get := func(p string) string {
		if v := q[p]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	for _, p := range presignParams {
		if get(p) == "" {
			return http.StatusBadRequest, "AuthorizationQueryParametersError", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
		}
	}
	if get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
	}
	date, err := time.Parse("20060102T150405Z", get("X-Amz-Date"))
	if err != nil {
		return http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
	}
	secs, err := strconv.ParseInt(get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 0 {
		return http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"
	}
	if secs > int64(MaxPresignExpiry/time.Second) {
		return http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is; the maximum expires is 604800 seconds"
	}
	now := o.now()
	if now.Before(date.Add(-15 * time.Minute)) {
		return http.StatusForbidden, "AccessDenied", "Request is not valid yet"
	}
	if now.After(date.Add(time.Duration(secs) * time.Second)) {
		return http.StatusForbidden, "AccessDenied", "Request has expired"
	}
	return 0, "", ""
}

// getObject serves the file, with Content-Length and Last-Modified (and
// ranges); a presign's response-content-disposition and
// response-content-type set those headers.
func getObject(w http.ResponseWriter, r *http.Request, path string, q map[string][]string) {
	f, err := os.Open(path)
	if err != nil {
		if missing(err) {
			s3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		s3Error(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		s3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "binary/octet-stream")
	for param, header := range map[string]string{"response-content-disposition": "Content-Disposition", "response-content-type": "Content-Type"} {
		if v := q[param]; len(v) > 0 && v[0] != "" {
			h.Set(header, v[0])
		}
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-amz-request-id", "sandbox")
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// missing: err says there is no file at the key's path (ENOTDIR: a
// prefix of the key is another key's file).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// deleteObject removes the key's file; S3 answers 204 whether or not
// the key existed. A folder (the prefix of other keys) is no object.
func deleteObject(w http.ResponseWriter, r *http.Request, path string) {
	info, err := os.Lstat(path)
	if err == nil && !info.IsDir() {
		err = os.Remove(path)
	}
	if err != nil && !missing(err) {
		s3Error(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// putObject writes the body to a temporary file beside the key's and
// renames it into place, so a reader sees the old object or the new one
// whole. A hex x-amz-content-sha256 must match the body.
func putObject(w http.ResponseWriter, r *http.Request, path string) {
	if r.Header.Get("Content-Encoding") == "aws-chunked" || strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		s3Error(w, r, http.StatusNotImplemented, "NotImplemented", "The sandbox does not take aws-chunked uploads.")
		return
	}
	if r.ContentLength > maxObjectSize {
		s3Error(w, r, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil || isDir(path) {
		s3Error(w, r, http.StatusBadRequest, "InvalidArgument", "The sandbox cannot keep this key: it is a prefix of other keys, or a prefix of it is a key.")
		return
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		s3Error(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	sum, md := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum, md), io.LimitReader(r.Body, maxObjectSize+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch want := r.Header.Get("X-Amz-Content-Sha256"); {
	case err != nil:
		s3Error(w, r, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		return
	case n > maxObjectSize:
		s3Error(w, r, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return
	case isHexSHA256(want) && want != hexSum(sum):
		s3Error(w, r, http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		return
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		s3Error(w, r, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("ETag", `"`+hexSum(md)+`"`)
	w.WriteHeader(http.StatusOK)
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func isHexSHA256(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// s3Error writes S3's XML error answer; a HEAD's has no body.
func s3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("x-amz-request-id", "sandbox")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, Resource: r.URL.Path, RequestID: "sandbox"})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body)
}
