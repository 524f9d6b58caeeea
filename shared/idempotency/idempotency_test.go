package idempotency

import (
	"strings"
	"testing"
)

func TestValidKey(t *testing.T) {
	for k, want := range map[string]bool{
		"a": true, "order-42/retry": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "has space": false, "tab\t": false, "é": false,
	} {
		if got := ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestFingerprintTellsRequestsApart(t *testing.T) {
	base := Fingerprint("POST", "/a", []byte(`{}`))
	for name, fp := range map[string]string{
		"method": Fingerprint("DELETE", "/a", []byte(`{}`)),
		"path":   Fingerprint("POST", "/b", []byte(`{}`)),
		"body":   Fingerprint("POST", "/a", []byte(`{ }`)),
		"split":  Fingerprint("POST", "/a\n{}", nil),
	} {
		if fp == base {
			t.Errorf("a different %s gives the same fingerprint", name)
		}
	}
	if Fingerprint("POST", "/a", []byte(`{}`)) != base {
		t.Fatal("the same request gives another fingerprint")
	}
}
