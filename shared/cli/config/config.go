// Package config keeps the berth CLI's settings: named profiles, each an
// API URL, an organisation and a token, in config.json in the user's
// configuration folder (XDG_CONFIG_HOME/berth on Linux). The file holds
// tokens, so it is written with mode 0600 in a folder of mode 0700.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// DefaultProfile is the profile used when none is named or current.
const DefaultProfile = "default"

// Profile is one API to talk to, as one organisation.
type Profile struct {
	URL          string `json:"url,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Token        string `json:"token,omitempty"`
}

// File is the configuration file's content.
type File struct {
	// Current is the profile used when neither --profile nor
	// BERTH_PROFILE names one.
	Current  string             `json:"current,omitempty"`
	Profiles map[string]Profile `json:"profiles"`
}

// Dir is the folder the configuration lives in: $BERTH_CONFIG_DIR, else
// berth/ in the user's configuration folder (os.UserConfigDir, read
// through getenv so that callers can give their own environment).
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("BERTH_CONFIG_DIR"); d != "" {
		return d, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		base = d
	default:
		base = getenv("XDG_CONFIG_HOME")
		if base == "" || !filepath.IsAbs(base) {
			home := getenv("HOME")
			if home == "" {
				return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set: set BERTH_CONFIG_DIR")
			}
			base = filepath.Join(home, ".config")
		}
	}
	return filepath.Join(base, "berth"), nil
}

// Path is the configuration file in dir.
func Path(dir string) string { return filepath.Join(dir, "config.json") }

// Load reads the file at path; a missing file is an empty configuration.
func Load(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Profiles: map[string]Profile{}}, nil
	}
	if err != nil {
		return nil, err
	}
	f := &File{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Profile{}
	}
	return f, nil
}

// Save writes the file at path, mode 0600, replacing it whole.
func (f *File) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Names are the profiles' names, sorted.
func (f *File) Names() []string {
	out := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Resolve picks the profile (named, else BERTH_PROFILE, else the file's
// current one, else "default") and lays the environment's BERTH_URL,
// BERTH_ORG and BERTH_TOKEN over it. A named profile that does not exist
// is an error; the default one may be missing.
func (f *File) Resolve(named string, getenv func(string) string) (string, Profile, error) {
	name, explicit := named, named != ""
	if name == "" {
		name, explicit = getenv("BERTH_PROFILE"), getenv("BERTH_PROFILE") != ""
	}
	if name == "" {
		name = f.Current
	}
	if name == "" {
		name = DefaultProfile
	}
	p, ok := f.Profiles[name]
	if !ok && explicit {
		return name, Profile{}, fmt.Errorf("no profile %q (have: %s); run berth login --profile %s", name, strings.Join(f.Names(), ", "), name)
	}
	if v := getenv("BERTH_URL"); v != "" {
		p.URL = v
	}
	if v := getenv("BERTH_ORG"); v != "" {
		p.Organisation = v
	}
	if v := getenv("BERTH_TOKEN"); v != "" {
		p.Token = v
	}
	return name, p, nil
}
