package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
)

// The benchmarks run the real handlers on the in-memory store, so they
// measure Berth's own per-request work: routing, decoding, validation and
// encoding, without DynamoDB.

func BenchmarkCreateApplication(b *testing.B) {
	body, err := os.ReadFile("../../docs/examples/create-application.json")
	if err != nil {
		b.Fatal(err)
	}
	h, _ := fuzzServer(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A new application each time keeps every create a 201.
		app := bytes.Replace(body, []byte(`"my-app"`), []byte(`"app-`+strconv.Itoa(i)+`"`), 1)
		path := "/api/v3/organizations/acme/applications"
		if rec := post(h, path, app); rec.Code != http.StatusCreated {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkGetApplication(b *testing.B) {
	body, err := os.ReadFile("../../docs/examples/create-application.json")
	if err != nil {
		b.Fatal(err)
	}
	h, _ := fuzzServer(b)
	if rec := post(h, "/api/v3/organizations/acme/applications", body); rec.Code != http.StatusCreated {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/acme/applications/my-app", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkRejectInvalidApplication(b *testing.B) {
	body := []byte(`{"appName":"My_App","composeDefinition":{"containers":[{"name":"web","imageReference":{"type":"internal","identifier":"v1"},"exposedPorts":[0]}]}}`)
	h, _ := fuzzServer(b)
	b.ReportAllocs()
	for b.Loop() {
		if rec := post(h, "/api/v3/organizations/acme/applications", bytes.Clone(body)); rec.Code != http.StatusBadRequest {
			b.Fatalf("%d", rec.Code)
		}
	}
}
