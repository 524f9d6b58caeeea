package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDirFollowsXDGAndOverride(t *testing.T) {
	if d, _ := Dir(env(map[string]string{"BERTH_CONFIG_DIR": "/x/y"})); d != "/x/y" {
		t.Errorf("BERTH_CONFIG_DIR: %q", d)
	}
	if d, _ := Dir(env(map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"})); d != filepath.Join("/xdg", "berth") {
		t.Errorf("XDG_CONFIG_HOME: %q", d)
	}
	if d, _ := Dir(env(map[string]string{"HOME": "/home/u"})); d != filepath.Join("/home/u", ".config", "berth") {
		t.Errorf("HOME: %q", d)
	}
	if _, err := Dir(env(nil)); err == nil {
		t.Error("no HOME and no XDG_CONFIG_HOME: no error")
	}
}

func TestResolveLaysTheEnvironmentOverTheProfile(t *testing.T) {
	f := &File{Current: "prod", Profiles: map[string]Profile{
		"prod":  {URL: "https://api.example", Organisation: "acme", Token: "t-prod"},
		"local": {URL: "http://127.0.0.1:3000", Organisation: "dev", Token: "t-local"},
	}}
	if name, p, _ := f.Resolve("", env(nil)); name != "prod" || p.Token != "t-prod" {
		t.Errorf("current: %s %+v", name, p)
	}
	if name, p, _ := f.Resolve("", env(map[string]string{"BERTH_PROFILE": "local"})); name != "local" || p.Organisation != "dev" {
		t.Errorf("BERTH_PROFILE: %s %+v", name, p)
	}
	if name, p, _ := f.Resolve("local", env(map[string]string{"BERTH_PROFILE": "prod", "BERTH_TOKEN": "t-env", "BERTH_URL": "http://u"})); name != "local" || p.Token != "t-env" || p.URL != "http://u" || p.Organisation != "dev" {
		t.Errorf("--profile with BERTH_TOKEN and BERTH_URL: %s %+v", name, p)
	}
	if _, _, err := f.Resolve("nope", env(nil)); err == nil || !strings.Contains(err.Error(), "local, prod") {
		t.Errorf("unknown profile: %v", err)
	}
	// With no file, the default profile is empty and the environment fills it.
	empty := &File{Profiles: map[string]Profile{}}
	if name, p, err := empty.Resolve("", env(map[string]string{"BERTH_ORG": "o"})); err != nil || name != DefaultProfile || p.Organisation != "o" {
		t.Errorf("empty: %s %+v %v", name, p, err)
	}
}

func TestSaveIsPrivateAndLoadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth", "config.json")
	f, err := Load(path)
	if err != nil || len(f.Profiles) != 0 {
		t.Fatalf("a missing file: %+v %v", f, err)
	}
	f.Profiles["a"] = Profile{URL: "u", Organisation: "o", Token: "secret"}
	f.Current = "a"
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", p, info.Mode().Perm(), err, want)
		}
	}
	g, err := Load(path)
	if err != nil || g.Current != "a" || g.Profiles["a"].Token != "secret" {
		t.Fatalf("loaded back %+v %v", g, err)
	}
}
