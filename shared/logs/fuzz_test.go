package logs

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/validation"
)

func FuzzLogsQuery(f *testing.F) {
	f.Add("", "", "", "", "")
	f.Add("2026-12-05T08:00:00Z", "2026-12-05T09:00:00Z", "100", "ERROR", "")
	f.Add("1700000000", "1700000000123", "10000", `{ $.level = "error" }`, "tok")
	f.Add("0001700000000000", "+1", "0", "", "")
	f.Add("-1", "x", "10001", strings.Repeat("p", 1025), "")
	f.Add("9223372036854775807", "-9223372036854775808", "-1", "", "")
	f.Fuzz(func(t *testing.T, start, end, limit, pattern, token string) {
		v := url.Values{}
		for k, s := range map[string]string{"startTime": start, "endTime": end, "limit": limit, "filterPattern": pattern, "nextToken": token} {
			if s != "" {
				v.Set(k, s)
			}
		}
		q, err := ParseQuery(v, now)
		if err != nil {
			var errs validation.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("not a validation error: %v", err)
			}
			for _, f := range errs.Fields() {
				if !slices.Contains([]string{"startTime", "endTime", "limit", "filterPattern", "nextToken"}, f) {
					t.Fatalf("error names %q", f)
				}
			}
			return
		}
		if q.Limit < 1 || q.Limit > MaxLimit {
			t.Fatalf("limit %d accepted", q.Limit)
		}
		if q.End.Before(q.Start) {
			t.Fatalf("end %s before start %s accepted", q.End, q.Start)
		}
		if len(q.Pattern) > maxPattern || len(q.NextToken) > maxToken || q.Pattern != pattern || q.NextToken != token {
			t.Fatalf("pattern %q, token %q", q.Pattern, q.NextToken)
		}
		if start == "" && !q.Start.Equal(q.End.Add(-DefaultWindow)) {
			t.Fatalf("without startTime: %s..%s", q.Start, q.End)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add(int64(1700000000123), "38263-0-a")
	f.Add(int64(0), "x")
	f.Add(int64(-1), "")
	f.Add(int64(1), strings.Repeat("i", 260))
	f.Fuzz(func(t *testing.T, ms int64, id string) {
		// Any string: ParseCursor answers a cursor that prints back as it reads.
		s := strconv.FormatInt(ms, 10) + "-" + id
		if c, err := ParseCursor(s); err == nil {
			if c.ID == "" || c.At.Before(time.Unix(0, 0)) {
				t.Fatalf("%q: %+v", s, c)
			}
			again, err := ParseCursor(c.String())
			if err != nil || !again.At.Equal(c.At) || again.ID != c.ID {
				t.Fatalf("%q: %+v, then %+v, %v", s, c, again, err)
			}
		}
		if _, err := ParseCursor(id); err == nil && !strings.Contains(id, "-") {
			t.Fatalf("%q accepted without '-'", id)
		}
		// A cursor of an event: the round trip keeps it.
		if ms < 0 || ms > 1<<50 || id == "" || len(id) > 200 {
			return
		}
		c := Cursor{At: time.UnixMilli(ms).UTC(), ID: id}
		got, err := ParseCursor(c.String())
		if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
			t.Fatalf("%+v: %+v, %v", c, got, err)
		}
	})
}
