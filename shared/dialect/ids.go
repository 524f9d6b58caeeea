package dialect

import (
	"crypto/sha1"
	"fmt"
)

// namespace is Berth's UUID namespace for dialect ids (RFC 9562, version 5).
var namespace = [16]byte{0x6b, 0x2f, 0x0e, 0x5a, 0x41, 0x4d, 0x4e, 0x2b, 0x9a, 0x53, 0x0c, 0x1e, 0x8d, 0x77, 0x23, 0x90}

// uuid5 is the version 5 UUID of name: the same name always gives the
// same id, so ids need no record of their own and survive a restore.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// OrganisationID is the id of an organisation (a CF organization, a Qovery
// organization).
func OrganisationID(org string) string { return uuid5("organisation\x00" + org) }

// ProjectID is the id of an organisation's one Qovery project.
func ProjectID(org string) string { return uuid5("project\x00" + org) }

// ScopeID is the id of an environment scope (a CF space, a Qovery
// environment).
func ScopeID(org, scope string) string { return uuid5("scope\x00" + org + "\x00" + scope) }

// WorkloadID is the id of an application's environment (a CF app, a
// Qovery container).
func WorkloadID(org, app, env string) string {
	return uuid5("workload\x00" + org + "\x00" + app + "\x00" + env)
}

// VersionID is an id that changes with a record's version (a CF app's version).
func VersionID(id string, version int64) string {
	return uuid5(fmt.Sprintf("version\x00%s\x00%d", id, version))
}
