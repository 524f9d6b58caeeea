// Package awsartefacts keeps backup artefacts in an S3 bucket: it
// presigns their downloads, reports their size and deletes them. It is a
// package of its own so that only the functions that need S3 link its
// client.
package awsartefacts

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/data"
)

// Store keeps backup artefacts in one bucket.
type Store struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
}

// New builds the store on bucket. endpoint overrides S3's (empty in
// AWS); when set, requests are path-style (<endpoint>/<bucket>/<key>),
// as a local S3 such as sandbox.Objects serves them.
func New(cfg aws.Config, bucket, endpoint string) data.Artefacts {
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
	return &Store{client: client, presign: s3.NewPresignClient(client), bucket: bucket}
}

// MaxDownloadTTL is the longest a presigned URL can last: SigV4's week.
const MaxDownloadTTL = 7 * 24 * time.Hour

// DownloadURL presigns a GET of key that expires after ttl (whole
// seconds, 1 s to MaxDownloadTTL; callers pass at most 15 minutes), and
// whose answer carries Content-Disposition: attachment with filename, so
// a browser saves it under that name. expires is when the URL stops
// working: its signing time, to the second, plus ttl. Presigning makes
// no request, so a missing key shows only when the URL is used (404);
// and a URL signed with a role's temporary credentials stops working
// when they expire, if that is sooner.
func (s *Store) DownloadURL(ctx context.Context, key, filename string, ttl time.Duration) (string, time.Time, error) {
	if ttl < time.Second || ttl > MaxDownloadTTL {
		return "", time.Time{}, fmt.Errorf("%w: s3: a download URL lasts 1s to %s, not %s", cloud.ErrInvalid, MaxDownloadTTL, ttl)
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket:                     aws.String(s.bucket),
		Key:                        aws.String(key),
		ResponseContentDisposition: aws.String(attachment(filename)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, awscloud.Fail(err)
	}
	expires, err := expiry(req.URL)
	if err != nil {
		return "", time.Time{}, err
	}
	return req.URL, expires, nil
}

// attachment is the Content-Disposition that saves the download as
// filename: quoted as needed, and RFC 2231-encoded when it is not ASCII.
func attachment(filename string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); v != "" && filename != "" {
		return v
	}
	return "attachment"
}

// expiry reads when a presigned URL expires from its X-Amz-Date and
// X-Amz-Expires, which S3 judges it by.
func expiry(raw string) (time.Time, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("s3: presigned URL: %w", err)
	}
	q := u.Query()
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("s3: presigned URL's X-Amz-Date: %w", err)
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil {
		return time.Time{}, fmt.Errorf("s3: presigned URL's X-Amz-Expires: %w", err)
	}
	return signed.Add(time.Duration(secs) * time.Second), nil
}

// Stat reports the object's size, and exists=false (nil error) when
// there is none. S3 answers a HEAD of a missing key with 404 only to a
// role that may list the bucket (s3:ListBucket); to others with 403,
// which Stat reports as an error.
func (s *Store) Stat(ctx context.Context, key string) (int64, bool, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	switch code := awscloud.Code(err); {
	case code == "NotFound" || code == "NoSuchKey":
		return 0, false, nil
	case err != nil:
		return 0, false, awscloud.Fail(err)
	}
	return aws.ToInt64(out.ContentLength), true, nil
}

// Delete deletes key; deleting a missing key is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && awscloud.Code(err) != "NoSuchKey" {
		return awscloud.Fail(err)
	}
	return nil
}
