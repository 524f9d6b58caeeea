// Package berthdata tests the data image's program, berth-data, with its
// clients (aws, mysqldump, mysql, pg_dump, psql) replaced by recorders.
package berthdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakes are the clients: each logs its arguments to calls.log, and
// acts as far as the script needs. The S3 "bucket" is a folder.
var fakes = map[string]string{
	"aws": `#!/bin/sh
echo "aws $*" >> "$LOG"
case "$1 $2" in
"s3 cp") if [ "$3" = "-" ]; then cat > "$BUCKET/$(echo "$4" | sed 's|s3://||' | tr '/' '_')"; else cat "$BUCKET/$(echo "$3" | sed 's|s3://||' | tr '/' '_')"; fi ;;
"s3api head-object") wc -c < "$BUCKET/$(echo "$4/$6" | tr '/' '_')" | tr -d ' ' ;;
esac`,
	"mysqldump": `#!/bin/sh
echo "mysqldump $* MYSQL_PWD=${MYSQL_PWD:+set}" >> "$LOG"
[ "$MYSQL_PWD" = "s3cr3t" ] || exit 9
echo "INSERT INTO berth_marker VALUES ('v1');"`,
	"mysql": `#!/bin/sh
echo "mysql $* MYSQL_PWD=${MYSQL_PWD:+set}" >> "$LOG"
cat > "$BUCKET/loaded.sql"`,
}

func run(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	return runWith(t, dir, nil, args...)
}

func runWith(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"berth-data"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(dir, "bin")+":"+os.Getenv("PATH"), "LOG="+filepath.Join(dir, "calls.log"),
		"BUCKET="+filepath.Join(dir, "bucket"), "DB_HOST=db.internal", "DB_PORT=3306", "DB_NAME=app", "DB_USER=admin", "DB_PASSWORD=s3cr3t")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestBackupAndRestoreKeepThePasswordOffTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"bin", "bucket"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(dir, "bin", name), []byte(body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, dir, "backup", "database", "--engine=mysql", "s3://bkt/backups/a.sql.gz")
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	stored, _ := os.ReadFile(filepath.Join(dir, "bucket", "bkt_backups_a.sql.gz"))
	if last := lines[len(lines)-1]; len(stored) == 0 || last != "berth-data: size="+strconv.Itoa(len(stored)) {
		t.Fatalf("backup's last line %q, stored %d bytes", last, len(stored))
	}
	if out, err := run(t, dir, "restore", "database", "--engine=mysql", "s3://bkt/backups/a.sql.gz"); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	loaded, _ := os.ReadFile(filepath.Join(dir, "bucket", "loaded.sql"))
	if !strings.Contains(string(loaded), "VALUES ('v1')") {
		t.Fatalf("mysql was fed %q, want the dump", loaded)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	if strings.Contains(string(calls), "s3cr3t") {
		t.Fatalf("the password reached a command line:\n%s", calls)
	}
	if !strings.Contains(string(calls), "mysqldump --single-transaction") || !strings.Contains(string(calls), "MYSQL_PWD=set") {
		t.Fatalf("calls:\n%s", calls)
	}
	// Bad arguments fail, saying why.
	if out, err := run(t, dir, "backup", "database", "--engine=mysql", "ftp://x"); err == nil || !strings.Contains(out, "not an s3://bucket/key URL") {
		t.Fatalf("a bad URL: %v %q", err, out)
	}
	if out, err := run(t, dir, "backup", "database", "--engine=oracle", "s3://bkt/k"); err == nil || !strings.Contains(out, "not mysql or postgres") {
		t.Fatalf("a bad engine: %v %q", err, out)
	}
	// A dump that fails part-way fails the backup: no size line, exit 1.
	if out, err := runWith(t, dir, []string{"DB_PASSWORD=wrong"}, "backup", "database", "--engine=mysql", "s3://bkt/backups/b.sql.gz"); err == nil || strings.Contains(out, "size=") {
		t.Fatalf("a failed dump: %v %q", err, out)
	}
}
