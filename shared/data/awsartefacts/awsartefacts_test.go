package awsartefacts_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
)

const (
	bucket = "berth-backups"
	key    = "backups/acme/my-app/production/database/bk-0123456789.sql.gz"
)

// clock is the sandbox S3's clock, which a test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) setTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = time.Until(t)
}

// sandboxS3 serves a sandbox.Objects over a temporary folder.
func sandboxS3(t *testing.T) (*sandbox.Objects, *clock, string) {
	t.Helper()
	c := &clock{}
	objects := &sandbox.Objects{Dir: t.TempDir(), Now: c.Now}
	srv := httptest.NewServer(objects)
	t.Cleanup(srv.Close)
	return objects, c, srv.URL
}

// putFile writes an artefact straight to the sandbox's folder, as the
// local backup steps do.
func putFile(t *testing.T, objects *sandbox.Objects, key string, data []byte) string {
	t.Helper()
	path, err := objects.Path(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStatDownloadDelete: an artefact's size, its presigned download
// (its bytes, saved under its file name, until the URL expires), and its
// deletion, with the real SDK against the sandbox's S3.
func TestStatDownloadDelete(t *testing.T) {
	ctx := context.Background()
	objects, clk, endpoint := sandboxS3(t)
	store := awsartefacts.New(awstest.New(t).Config(), bucket, endpoint)
	data := bytes.Repeat([]byte("backup\x00\xff"), 1000)
	path := putFile(t, objects, key, data)

	size, exists, err := store.Stat(ctx, key)
	if err != nil || !exists || size != int64(len(data)) {
		t.Fatalf("Stat = %d, %v, %v; want %d, true, nil", size, exists, err, len(data))
	}

	const ttl = 10 * time.Minute
	before := time.Now().Truncate(time.Second)
	url, expires, err := store.DownloadURL(ctx, key, "my-app production 2026-12-06.sql.gz", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if expires.Before(before.Add(ttl)) || expires.After(time.Now().Add(ttl)) {
		t.Errorf("expires %v, want %v after signing (%v)", expires, ttl, before)
	}
	if !strings.Contains(url, "X-Amz-Expires=600") || !strings.HasPrefix(url, endpoint+"/"+bucket+"/") {
		t.Errorf("url %s: want a path-style URL on %s with X-Amz-Expires=600", url, endpoint)
	}
	download := func() (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := download()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d, %d bytes; want 200 and the %d bytes written", resp.StatusCode, len(body), len(data))
	}
	if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="my-app production 2026-12-06.sql.gz"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(data)) {
		t.Errorf("Content-Length %q, want %d", got, len(data))
	}

	clk.setTo(expires.Add(-time.Second))
	if resp, _ := download(); resp.StatusCode != http.StatusOK {
		t.Errorf("GET a second before expiry: %d, want 200", resp.StatusCode)
	}
	clk.setTo(expires.Add(time.Second))
	resp, body = download()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code><Message>Request has expired</Message>") {
		t.Errorf("GET after expiry: %d %s, want 403 AccessDenied: Request has expired", resp.StatusCode, body)
	}

	if err := store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Delete the file is still there: %v", err)
	}
	if err := store.Delete(ctx, key); err != nil {
		t.Errorf("deleting again: %v, want nil", err)
	}
	size, exists, err = store.Stat(ctx, key)
	if err != nil || exists || size != 0 {
		t.Errorf("Stat of a deleted key = %d, %v, %v; want 0, false, nil", size, exists, err)
	}
}

// TestSDKPutAndGet: the sandbox's S3 takes the SDK's own PutObject and
// GetObject, and the Store sees what they wrote.
func TestSDKPutAndGet(t *testing.T) {
	ctx := context.Background()
	objects, _, endpoint := sandboxS3(t)
	cfg := awstest.New(t).Config()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	data := []byte("pg_dump output")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	path, _ := objects.Path(bucket, key)
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file %q, %v; want %q", got, err, data)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("GetObject %q, want %q", got, data)
	}
	store := awsartefacts.New(cfg, bucket, endpoint)
	if size, exists, err := store.Stat(ctx, key); err != nil || !exists || size != int64(len(data)) {
		t.Errorf("Stat = %d, %v, %v; want %d, true, nil", size, exists, err, len(data))
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + ".missing")})
	if awscloud.Code(err) != "NoSuchKey" {
		t.Errorf("GetObject of a missing key: %v, want NoSuchKey", err)
	}
}

// TestDownloadURLFilenames: a file name that needs quoting or is not
// ASCII reaches the download's Content-Disposition intact, and a TTL
// SigV4 cannot sign is refused before anything is signed.
func TestDownloadURLFilenames(t *testing.T) {
	ctx := context.Background()
	objects, _, endpoint := sandboxS3(t)
	store := awsartefacts.New(awstest.New(t).Config(), bucket, endpoint)
	putFile(t, objects, key, []byte("x"))
	for name, want := range map[string]string{
		"db.sql.gz":        "attachment; filename=db.sql.gz",
		`a"b\c.tar`:        `attachment; filename="a\"b\\c.tar"`,
		"sauvegarde é.tar": "attachment; filename*=utf-8''sauvegarde%20%C3%A9.tar",
		"":                 "attachment",
	} {
		url, _, err := store.DownloadURL(ctx, key, name, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Disposition"); resp.StatusCode != http.StatusOK || got != want {
			t.Errorf("%q: %d, Content-Disposition %q, want 200 and %q", name, resp.StatusCode, got, want)
		}
	}
	for _, ttl := range []time.Duration{0, 500 * time.Millisecond, -time.Minute, awsartefacts.MaxDownloadTTL + time.Second} {
		if _, _, err := store.DownloadURL(ctx, key, "db.sql.gz", ttl); !errors.Is(err, cloud.ErrInvalid) {
			t.Errorf("ttl %s: %v, want invalid", ttl, err)
		}
	}
}
