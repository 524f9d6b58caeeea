package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
)

// Data tasks: a job task whose container runs the data image's program
// (`berth-data <backup|restore> <database|filesystem> --engine=E
// s3://bucket/key --path=P`) does it here, on real local files under
// DataDir:
//
//	databases/<identifier>.sql   a database's content: a SQL script whose
//	                             marker row tests read and set (Marker)
//	efs/<filesystem id>/<root>   an access point's files
//	s3/<bucket>/<key>            the backups bucket (Objects serves it)
//
// A backup writes the gzipped dump or tar there and ends with the data
// image's "berth-data: size=N" line; a restore reads it back. The work is
// done when RunTask starts the task; the task then plays out its lines.

// dataProgram is the data image's entry point.
const dataProgram = "berth-data"

// DataDir is where the sandbox keeps its local files: Dir, or a temporary
// folder made on first use.
func (s *Sandbox) DataDir() string {
	s.dirOnce.Do(func() {
		if s.Dir == "" {
			d, err := os.MkdirTemp("", "berth-sandbox-")
			if err != nil {
				panic(fmt.Sprintf("sandbox: no folder for local files: %v", err))
			}
			s.Dir = d
		}
	})
	return s.Dir
}

// ObjectsDir is the root of the local S3's buckets.
func (s *Sandbox) ObjectsDir() string { return filepath.Join(s.DataDir(), "s3") }

func (s *Sandbox) databaseFile(identifier string) string {
	return filepath.Join(s.DataDir(), "databases", identifier+".sql")
}

const markerPrefix = "INSERT INTO berth_marker (value) VALUES ('"

// Marker reads the marker row of the database identifier: the value a new
// database starts with is "initial <identifier>". A test and make run knob.
func (s *Sandbox) Marker(identifier string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.databaseContent(identifier)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, markerPrefix); ok {
			return strings.TrimSuffix(v, "');"), nil
		}
	}
	return "", fmt.Errorf("database %s has no marker row", identifier)
}

// SetMarker sets the database's marker row. A test and make run knob.
func (s *Sandbox) SetMarker(identifier, value string) error {
	if strings.ContainsAny(value, "'\n") {
		return fmt.Errorf("a marker holds no quote or newline")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.databaseContent(identifier); err != nil {
		return err
	}
	return writeAtomic(s.databaseFile(identifier), []byte(dump(identifier, value)))
}

func dump(identifier, marker string) string {
	return "-- berth sandbox database " + identifier + "\nCREATE TABLE IF NOT EXISTS berth_marker (value text);\nDELETE FROM berth_marker;\n" + markerPrefix + marker + "');\n"
}

// databaseContent reads a database of the sandbox, made with its initial
// marker on first read. Callers hold mu.
func (s *Sandbox) databaseContent(identifier string) ([]byte, error) {
	if s.findByID(cloud.KindDatabase, identifier) == nil {
		return nil, fmt.Errorf("DBInstanceNotFound: %s: %w", identifier, cloud.ErrNotFound)
	}
	b, err := os.ReadFile(s.databaseFile(identifier))
	if errors.Is(err, fs.ErrNotExist) {
		b = []byte(dump(identifier, "initial "+identifier))
		err = writeAtomic(s.databaseFile(identifier), b)
	}
	return b, err
}

// AccessPointDir is the folder of an access point's files. A test and make
// run knob: write files there, and a filesystem backup archives them.
func (s *Sandbox) AccessPointDir(accessPointID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessPointDir(accessPointID)
}

// accessPointDir is AccessPointDir; callers hold mu.
func (s *Sandbox) accessPointDir(accessPointID string) (string, error) {
	r := s.findByID(cloud.KindAccessPoint, accessPointID)
	if r == nil {
		return "", fmt.Errorf("AccessPointNotFound: %s: %w", accessPointID, cloud.ErrNotFound)
	}
	spec := r.spec.(cloud.AccessPointSpec)
	return filepath.Join(s.DataDir(), "efs", spec.FilesystemID, filepath.FromSlash(spec.RootDirectory)), nil
}

// runData does a data task's work at once and returns what it logs. Its
// exit code is 1, with the reason as its last line, when the work fails.
// Callers hold mu.
func (s *Sandbox) runData(spec cloud.TaskSpec, command []string) script {
	lines, err := s.doData(spec, command)
	out := script{took: 2 * s.Profile.Second}
	for i, l := range lines {
		out.lines = append(out.lines, line{at: time.Duration(i) * s.Profile.Second / 4, text: l})
	}
	if err != nil {
		out.exit = 1
		out.lines = append(out.lines, line{at: s.Profile.Second, text: "berth-data: error: " + err.Error()})
	}
	return out
}

func (s *Sandbox) doData(spec cloud.TaskSpec, command []string) ([]string, error) {
	if len(command) < 5 || command[0] != dataProgram {
		return nil, fmt.Errorf("usage: berth-data <backup|restore> <database|filesystem> --engine=E s3://bucket/key --path=P")
	}
	phase, kind, url := command[1], command[2], command[4]
	bucket, key, ok := strings.Cut(strings.TrimPrefix(url, "s3://"), "/")
	if !strings.HasPrefix(url, "s3://") || !ok || bucket == "" || key == "" || strings.Contains(key, "..") {
		return nil, fmt.Errorf("%q is not an s3://bucket/key URL", url)
	}
	object := filepath.Join(s.ObjectsDir(), bucket, filepath.FromSlash(key))
	var (
		content []byte
		lines   []string
		err     error
	)
	switch kind {
	case "database":
		if spec.Database == nil || spec.Database.SecretARN == "" {
			return nil, fmt.Errorf("no database connection: DB_HOST and the password secret are not set")
		}
		id := strings.TrimSuffix(spec.Database.Host, "."+Domain)
		lines = append(lines, fmt.Sprintf("berth-data: %s of database %s at %s:%d, user and password from %s", phase, spec.Database.Name, spec.Database.Host, spec.Database.Port, spec.Database.SecretARN))
		switch phase {
		case "backup":
			if content, err = s.databaseContent(id); err == nil {
				content, err = gzipped(content)
			}
		case "restore":
			if content, err = gunzipped(object); err == nil {
				if _, err = s.databaseContent(id); err == nil {
					err = writeAtomic(s.databaseFile(id), content)
				}
			}
		}
	case "filesystem":
		if spec.Filesystem == nil {
			return nil, fmt.Errorf("no filesystem is mounted")
		}
		var dir string
		if dir, err = s.accessPointDir(spec.Filesystem.AccessPointID); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("berth-data: %s of the filesystem at %s (access point %s)", phase, spec.Filesystem.MountPath, spec.Filesystem.AccessPointID))
		switch phase {
		case "backup":
			content, err = archive(dir)
		case "restore":
			err = extract(object, dir)
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	if err != nil {
		return lines, err
	}
	switch phase {
	case "backup":
		if err := writeAtomic(object, content); err != nil {
			return lines, err
		}
		return append(lines, fmt.Sprintf("berth-data: wrote %d bytes to %s", len(content), url), fmt.Sprintf("berth-data: size=%d", len(content))), nil
	case "restore":
		return append(lines, "berth-data: restored from "+url), nil
	}
	return lines, fmt.Errorf("unknown phase %q", phase)
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	err := zw.Close()
	return buf.Bytes(), err
}

func gunzipped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the backup: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("the backup is not gzip: %w", err)
	}
	return io.ReadAll(zr)
}

// archive is a gzipped tar of dir's regular files (an empty archive when
// dir does not exist yet).
func archive(dir string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipDir
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	err = zw.Close()
	return buf.Bytes(), err
}

// extract writes the archive's files into dir: same-named files are
// overwritten, others kept, as tar does.
func extract(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read the backup: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("the backup is not gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if h.Typeflag != tar.TypeReg || filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
}

// writeAtomic writes b to path through a temporary file and a rename, so
// a reader sees the old content or the new, never a part.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
