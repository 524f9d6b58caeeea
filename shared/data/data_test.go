package data

import (
	"strings"
	"testing"
	"time"
)

func TestRefRoundTrips(t *testing.T) {
	r := Ref{Type: TypeSync, Kind: KindFilesystem, ID: "sync-20261206T043512Z-3f9a1c"}
	got, err := ParseRef(r.String())
	if err != nil || got != r {
		t.Fatalf("ParseRef(%q) = %v, %v", r.String(), got, err)
	}
	for _, bad := range []string{"", "backup/database", "tape/database/x", "backup/tape/x", "backup/database/", "a/b/c/d"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) accepted it", bad)
		}
	}
}

func TestIDsSortByTimeAndBound(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 35, 12, 0, time.UTC)
	a, b := NewID(TypeBackup, at), NewID(TypeBackup, at.Add(time.Second))
	if !ValidID(a) || !ValidID(b) || !(a < b) {
		t.Fatalf("ids %q, %q: want valid and ordered", a, b)
	}
	if !strings.HasPrefix(a, "backup-20261206T043512Z-") {
		t.Fatalf("id %q", a)
	}
	// An id made at a moment sorts at or after that moment's bound, and
	// before the next second's.
	if !(IDBound(TypeBackup, at) <= a && a < IDBound(TypeBackup, at.Add(time.Second))) {
		t.Fatalf("%q is not within its second's bounds", a)
	}
	for _, bad := range []string{"backup-x", "backup-20261206T043512Z-3F9A1C", "../backup-20261206T043512Z-3f9a1c", "job-20261206T043512Z-3f9a1c"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
}

func TestParseSizeReadsTheLastSizeLine(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  int64
		ok    bool
	}{
		{[]string{"berth-data: backup of database app", "berth-data: wrote 812 bytes", "berth-data: size=812"}, 812, true},
		{[]string{"berth-data: size=1", "berth-data: size=2048 sha256=abc"}, 2048, true},
		{[]string{"berth-data: size=-4"}, 0, false},
		{[]string{"berth-data: size=lots"}, 0, false},
		{nil, 0, false},
	} {
		if got, ok := ParseSize(c.lines); got != c.want || ok != c.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", c.lines, got, ok, c.want, c.ok)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KB", 1536: "1.5 KB", 5 << 20: "5.0 MB", 3 << 30: "3.0 GB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestArtefactKeyAndCommand(t *testing.T) {
	key := ArtefactKey("acme", "shop", "production", KindDatabase, "backup-20261206T043512Z-3f9a1c")
	if key != "backups/acme/shop/production/database/backup-20261206T043512Z-3f9a1c.sql.gz" {
		t.Fatalf("key %q", key)
	}
	cmd := Task(PhaseRestore, KindFilesystem, "", "bucket", "backups/k.tar.gz")
	if strings.Join(cmd, " ") != "berth-data restore filesystem --engine= s3://bucket/backups/k.tar.gz" {
		t.Fatalf("command %q", cmd)
	}
}

// FuzzParseRef: whatever a workflow input holds, ParseRef never panics,
// and what it accepts prints back as itself.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"backup/database/backup-20261206T043512Z-3f9a1c", "sync/filesystem/x", "//", "a/b/c/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err == nil && r.String() != s {
			t.Fatalf("ParseRef(%q) = %v, which prints as %q", s, r, r.String())
		}
	})
}
