package berth_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-dev/berth/infra/berth"
)

// backupRetentionDays is the berth:backupRetentionDays that doSynth
// gives, as a string, as `cdk synth -c` does.
const backupRetentionDays = "14"

// The backups bucket: S3-managed encryption, no public access, TLS only,
// unversioned and retained; its objects expire after
// berth:backupRetentionDays, and unfinished multipart uploads are
// aborted after a day. Its name is an output.
func TestBackupsBucket(t *testing.T) {
	s := synth(t)
	var bucket *resource
	for _, r := range resources(s.Template, "AWS::S3::Bucket") {
		if strings.HasPrefix(r.ID, "Backups") {
			if bucket != nil {
				t.Fatalf("two backups buckets: %s and %s", bucket.ID, r.ID)
			}
			bucket = &r
		}
	}
	if bucket == nil {
		t.Fatal("no backups bucket")
	}
	for field, want := range map[string]string{
		"BucketEncryption":               `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`,
		"PublicAccessBlockConfiguration": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
		"LifecycleConfiguration": `{"Rules":[
			{"Id":"` + berth.BackupsExpiryRule + `","ExpirationInDays":` + backupRetentionDays + `,"Status":"Enabled"},
			{"Id":"` + berth.BackupsAbortUploadsRule + `","AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1},"Status":"Enabled"}]}`,
	} {
		if !sameJSON(t, bucket.Properties[field], want) {
			got, _ := json.Marshal(bucket.Properties[field])
			t.Errorf("%s %s, want %s", field, got, want)
		}
	}
	if v, ok := bucket.Properties["VersioningConfiguration"]; ok {
		t.Errorf("VersioningConfiguration %v, want none (unversioned)", v)
	}
	if bucket.Raw["DeletionPolicy"] != "Retain" || bucket.Raw["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", bucket.Raw["DeletionPolicy"], bucket.Raw["UpdateReplacePolicy"])
	}

	ref := `{"Ref":"` + bucket.ID + `"}`
	tlsOnly := false
	for _, p := range resources(s.Template, "AWS::S3::BucketPolicy") {
		if !sameJSON(t, p.Properties["Bucket"], ref) {
			continue
		}
		doc, _ := p.Properties["PolicyDocument"].(map[string]any)
		statements, _ := doc["Statement"].([]any)
		for _, st := range statements {
			m, _ := st.(map[string]any)
			if m["Effect"] == "Deny" && sameJSON(t, m["Condition"], `{"Bool":{"aws:SecureTransport":"false"}}`) {
				tlsOnly = true
			}
		}
	}
	if !tlsOnly {
		t.Error("no bucket policy denies the backups bucket's requests without TLS")
	}

	outputs, _ := s.Template["Outputs"].(map[string]any)
	out, _ := outputs["BackupsBucketName"].(map[string]any)
	if !sameJSON(t, out["Value"], ref) {
		t.Errorf("output BackupsBucketName %v, want %s", out["Value"], ref)
	}
}

// sameJSON: got, marshalled, is the JSON want.
func sameJSON(t *testing.T, got any, want string) bool {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	g, _ := json.Marshal(got)
	ww, _ := json.Marshal(w)
	return string(g) == string(ww)
}
