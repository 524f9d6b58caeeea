package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

// TestDataTasksMoveRealFiles: a database backup dumps the marker row into
// the bucket's folder and a restore loads it back; a filesystem backup
// archives the access point's files and a restore writes them into
// another's, keeping files the archive lacks.
func TestDataTasksMoveRealFiles(t *testing.T) {
	s := New(Instant)
	s.Dir = t.TempDir()
	ctx := context.Background()
	managed := cloud.Tags{cloud.ManagedTag: "true"}
	if _, err := s.CreateDatabase(ctx, cloud.DatabaseSpec{Identifier: "db-one", Engine: "mysql", Tags: managed}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Marker("db-one"); err != nil || m != "initial db-one" {
		t.Fatalf("a new database's marker %q (%v)", m, err)
	}
	if err := s.SetMarker("db-one", "v1"); err != nil {
		t.Fatal(err)
	}
	db := cloud.TaskSpec{Database: &cloud.DatabaseConnection{Host: "db-one." + Domain, Port: 3306, Name: "app", SecretARN: "arn:secret"}}
	run := func(spec cloud.TaskSpec, cmd ...string) script {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.runData(spec, cmd)
	}
	out := run(db, "berth-data", "backup", "database", "--engine=mysql", "s3://bucket/backups/db.sql.gz")
	if out.exit != 0 || !strings.HasPrefix(out.lines[len(out.lines)-1].text, "berth-data: size=") {
		t.Fatalf("backup: exit %d %v", out.exit, out.lines)
	}
	_ = s.SetMarker("db-one", "v2")
	if out := run(db, "berth-data", "restore", "database", "--engine=mysql", "s3://bucket/backups/db.sql.gz"); out.exit != 0 {
		t.Fatalf("restore: %v", out.lines)
	}
	if m, _ := s.Marker("db-one"); m != "v1" {
		t.Fatalf("marker after restore %q, want v1", m)
	}
	// Without the password's secret the task fails, saying why.
	noSecret := cloud.TaskSpec{Database: &cloud.DatabaseConnection{Host: "db-one." + Domain}}
	if out := run(noSecret, "berth-data", "backup", "database", "--engine=mysql", "s3://bucket/k"); out.exit != 1 || !strings.Contains(out.lines[len(out.lines)-1].text, "password secret") {
		t.Fatalf("without a secret: exit %d %v", out.exit, out.lines)
	}

	fs, _ := s.CreateFilesystem(ctx, cloud.FilesystemSpec{CreationToken: "fs", Tags: managed})
	a, _ := s.CreateAccessPoint(ctx, cloud.AccessPointSpec{FilesystemID: fs.ID, ClientToken: "a", RootDirectory: "/_envs/a", Tags: managed})
	b, _ := s.CreateAccessPoint(ctx, cloud.AccessPointSpec{FilesystemID: fs.ID, ClientToken: "b", RootDirectory: "/_envs/b", Tags: managed})
	dirA, _ := s.AccessPointDir(a.ID)
	dirB, _ := s.AccessPointDir(b.ID)
	writeFile(t, filepath.Join(dirA, "sub", "x.txt"), "from a")
	writeFile(t, filepath.Join(dirB, "keep.txt"), "b's own")
	onA := cloud.TaskSpec{Filesystem: &cloud.FilesystemMount{FilesystemID: fs.ID, AccessPointID: a.ID, MountPath: "/mnt/data"}}
	onB := cloud.TaskSpec{Filesystem: &cloud.FilesystemMount{FilesystemID: fs.ID, AccessPointID: b.ID, MountPath: "/mnt/data"}}
	if out := run(onA, "berth-data", "backup", "filesystem", "--engine=", "s3://bucket/backups/fs.tar.gz"); out.exit != 0 {
		t.Fatalf("filesystem backup: %v", out.lines)
	}
	if out := run(onB, "berth-data", "restore", "filesystem", "--engine=", "s3://bucket/backups/fs.tar.gz"); out.exit != 0 {
		t.Fatalf("filesystem restore: %v", out.lines)
	}
	if got := readFile(t, filepath.Join(dirB, "sub", "x.txt")); got != "from a" {
		t.Fatalf("restored x.txt %q", got)
	}
	if got := readFile(t, filepath.Join(dirB, "keep.txt")); got != "b's own" {
		t.Fatalf("keep.txt %q, want kept", got)
	}
	// A key that climbs out of the bucket is refused.
	if out := run(onA, "berth-data", "backup", "filesystem", "--engine=", "s3://bucket/../../etc/x"); out.exit != 1 {
		t.Fatalf("a climbing key: exit %d", out.exit)
	}
}

// TestExtractKeepsEntriesInside: an archive entry that climbs out of the
// target folder, or is absolute, is skipped.
func TestExtractKeepsEntriesInside(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"../escape.txt", "/abs.txt", "ok/inside.txt"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("hi"))
	}
	_ = tw.Close()
	_ = zw.Close()
	root := t.TempDir()
	archivePath := filepath.Join(root, "a.tar.gz")
	writeFile(t, archivePath, buf.String())
	target := filepath.Join(root, "target")
	if err := extract(archivePath, target); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(target, "ok", "inside.txt")) != "hi" {
		t.Fatal("the inside entry was not written")
	}
	for _, p := range []string{filepath.Join(root, "escape.txt"), filepath.Join(target, "abs.txt")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
