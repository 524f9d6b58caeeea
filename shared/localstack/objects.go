package localstack

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// LocalBackupsBucket is the backups bucket of the local stack.
const LocalBackupsBucket = "berth-backups-local"

// startS3 serves the sandbox's files as S3 on 127.0.0.1:port (0: a free
// port), so download URLs presigned by the real S3 client work locally.
func startS3(sb *sandbox.Sandbox, port int) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: &sandbox.Objects{Dir: sb.ObjectsDir(), Now: time.Now}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}

// localS3Config signs requests to the local S3 as any AWS client would;
// the local S3 checks that they are signed, and when a URL expires.
func localS3Config() aws.Config {
	return aws.Config{Region: sandbox.Region, Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", "")}
}

// serveMarker reads (GET) or sets (PUT, body {"marker": "..."}) a sandbox
// database's marker row.
func serveMarker(sb *sandbox.Sandbox) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		id := r.PathValue("identifier")
		if r.Method == http.MethodPut {
			var body struct {
				Marker string `json:"marker"`
			}
			raw, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
			if err := json.Unmarshal(raw, &body); err != nil || body.Marker == "" {
				http.Error(w, `{"error":"want {\"marker\": \"...\"}"}`, http.StatusBadRequest)
				return
			}
			if err := sb.SetMarker(id, body.Marker); err != nil {
				writeMarkerError(w, err)
				return
			}
		}
		m, err := sb.Marker(id)
		if err != nil {
			writeMarkerError(w, err)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"identifier": id, "marker": m})
	}
}

func writeMarkerError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if strings.Contains(err.Error(), "NotFound") {
		code = http.StatusNotFound
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
