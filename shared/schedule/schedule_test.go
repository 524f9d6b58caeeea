package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var valid = []string{
	"rate(1 minute)",
	"rate(5 minutes)",
	"rate(1 hour)",
	"rate(12 hours)",
	"rate(1 day)",
	"rate(1000000 days)",
	"cron(0 12 * * ? *)",
	"cron(15 10 ? * 6L 2026-2030)",
	"cron(0/15 * * * ? *)",
	"cron(*/5 * * * ? *)",
	"cron(5-40/5 * * * ? *)",
	"cron(0 9 ? * MON-FRI *)",
	"cron(0 9 ? * mon-Fri *)",
	"cron(0 0 L * ? *)",
	"cron(0 0 lw * ? *)",
	"cron(0 0 15W * ? *)",
	"cron(0 0 ? * 3#2 *)",
	"cron(0 0 ? * TUE#2 *)",
	"cron(0 0 ? * FRIL *)",
	"cron(0 0 ? * L *)",
	"cron(0 8 1 JAN,jul ? 2026,2028-2030/2)",
	"cron(0 0 1 * ? 1970)",
	"cron(59 23 31 12 ? 2199)",
	"cron(0  12 * * ? *)",
	"cron(05 08 * * ? *)",
}

func TestParseValid(t *testing.T) {
	for _, s := range valid {
		for _, in := range []string{s, " " + s + "\n"} {
			e, err := Parse(in)
			if err != nil {
				t.Errorf("Parse(%q): %v", in, err)
				continue
			}
			if e.String() != s {
				t.Errorf("Parse(%q).String() = %q, want %q", in, e.String(), s)
			}
		}
	}
}

func TestParseInvalid(t *testing.T) {
	const forms = "must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit), such as rate(5 minutes) or cron(0 12 * * ? *)"
	for _, tc := range []struct{ in, want string }{
		{"", forms},
		{"every 5 minutes", forms},
		{"cron(0 12 * * ? *) extra", `has text after its closing ")"`},
		{"cron(0 12 * * ?)", "cron(0 12 * * ?) has 5 fields; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year"},
		{"cron(0 12 * * ? * *)", "has 7 fields"},
		{"cron(0\u00a012 * * ? *)", "has 5 fields"},
		{"cron()", "has 0 fields"},
		{"CRON(0 12 * * ? *)", `write "CRON" in lower case`},
		{"cron(0 12 * * ? *", `is missing its closing ")"`},
		{"at(2026-01-01T00:00:00)", "at(2026-01-01T00:00:00) is a one-time schedule; cron jobs are recurring, so only cron(...) and rate(...) are accepted"},
		{"rate(5)", "rate(5): must be rate(value unit)"},
		{"rate(5 minutes now)", "must be rate(value unit)"},
		{"rate(0 minutes)", "rate(0 minutes): the value must be a positive whole number"},
		{"rate(-5 minutes)", "the value must be a positive whole number"},
		{"rate(+5 minutes)", "the value must be a positive whole number"},
		{"rate(1.5 hours)", "the value must be a positive whole number"},
		{"rate(05 minutes)", "without leading zeros, such as 5"},
		{"rate(1000001 minutes)", "the value must be at most 1000000"},
		{"rate(99999999999999999999 minutes)", "the value must be at most 1000000"},
		{"rate(1 minutes)", `rate(1 minutes): use "minute" for 1`},
		{"rate(1 days)", `use "day" for 1`},
		{"rate(5 minute)", `rate(5 minute): use "minutes" for values other than 1`},
		{"rate(5 weeks)", "the unit must be minutes, hours or days"},
		{"rate(1 week)", "the unit must be minute, hour or day"},
		{"rate(5 Minutes)", "the unit must be minutes, hours or days"},
		{"cron(0 12 * * 2 *)", `cron(0 12 * * 2 *): day-of-month and day-of-week cannot both be set; one of them must be "?"`},
		{"cron(0 12 * * * *)", "cannot both be set"},
		{"cron(0 12 ? * ? *)", `cannot both be "?"`},
		{"cron(61 * * * ? *)", `cron(61 * * * ? *): minutes "61" is out of range 0-59`},
		{"cron(0 24 * * ? *)", `hours "24" is out of range 0-23`},
		{"cron(0 0 32 * ? *)", `day-of-month "32" is out of range 1-31`},
		{"cron(0 0 0 * ? *)", `day-of-month "0" is out of range 1-31`},
		{"cron(0 0 32W * ? *)", `day-of-month "32" is out of range 1-31`},
		{"cron(0 0 * 13 ? *)", `month "13" is out of range 1-12`},
		{"cron(0 0 * FOO ? *)", `month "FOO" is not a number 1-12 or a name JAN-DEC`},
		{"cron(0 0 ? * 8 *)", `day-of-week "8" is out of range 1-7`},
		{"cron(0 0 ? * 0 *)", `day-of-week "0" is out of range 1-7`},
		{"cron(0 0 * * ? 1969)", `year "1969" is out of range 1970-2199`},
		{"cron(0 0 * * ? 2200)", `year "2200" is out of range 1970-2199`},
		{"cron(x 0 * * ? *)", `minutes "X" is not a number`},
		{"cron(? 0 * * ? *)", `minutes does not accept "?"`},
		{"cron(0 0 ?,1 * ? *)", `day-of-month "?,1": "?" must be the whole field`},
		{"cron(0 22-2 * * ? *)", `hours range "22-2" runs backwards; split it, such as 22-23,0-2`},
		{"cron(0 0 ? * FRI-MON *)", `day-of-week range "FRI-MON" runs backwards; split it, such as 6-7,1-2`},
		{"cron(0 -5 * * ? *)", `hours "-5" is not a range`},
		{"cron(0 *-5 * * ? *)", `hours "*-5" is not a range`},
		{"cron(0/0 * * * ? *)", `minutes "0/0": the increment after "/" must be a whole number from 1 to 59`},
		{"cron(0/60 * * * ? *)", "from 1 to 59"},
		{"cron(0/ * * * ? *)", "from 1 to 59"},
		{"cron(/5 * * * ? *)", `minutes "/5" needs a value before "/"`},
		{"cron(0 0 ? * MON/2 *)", `day-of-week does not accept "/"`},
		{"cron(1,,2 0 * * ? *)", `minutes "1,,2" has an empty list item`},
		{"cron(0 0 L,15 * ? *)", "L and W cannot be combined with other days"},
		{"cron(0 0 1-5W * ? *)", "W takes a single day, such as 15W"},
		{"cron(0 0 W * ? *)", "W takes a single day"},
		{"cron(0 0 L-3 * ? *)", `use "L" for the last day of the month or "LW" for its last weekday`},
		{"cron(0 0 ? * 3#6 *)", `day-of-week "3#6": the week after "#" must be 1-5`},
		{"cron(0 0 ? * 3#0 *)", "must be 1-5"},
		{"cron(0 0 ? * 9#2 *)", "# takes a single day before it"},
		{"cron(0 0 ? * 3#2,4 *)", "L and # cannot be combined with other days"},
		{"cron(0 0 ? * 2-3L *)", "L takes a single day, such as 6L"},
		{"cron(0 0 3#2 * ? *)", `day-of-month "3#2": "#" is only for day-of-week`},
		{"cron(5L 0 * * ? *)", `minutes "5L": "L" is only for day-of-month and day-of-week`},
		{"cron(0 0 ? * 5W *)", `day-of-week "5W": "W" is only for day-of-month`},
		{"cron(0\t12 * * ? *)", "contains a control character"},
		{"rate(5 minutes)\x00", "contains a control character"},
		{"\xff", "is not valid UTF-8"},
		{strings.Repeat(" ", 257), "is 257 bytes long; at most 256 are allowed"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error with %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tc.in, err, tc.want)
		}
		if strings.HasPrefix(err.Error(), "scheduleExpression") {
			t.Errorf("Parse(%q) = %q names the field; the caller does", tc.in, err)
		}
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	const none = ""
	for _, tc := range []struct{ expr, after, want string }{
		{"rate(1 minute)", "2026-03-04T10:20:30Z", "2026-03-04T10:21:00Z"},
		{"rate(1 minute)", "2026-03-04T10:21:00Z", "2026-03-04T10:22:00Z"},
		{"rate(2 hours)", "2026-03-04T11:00:00Z", "2026-03-04T12:00:00Z"},
		{"rate(2 hours)", "2026-03-04T12:00:00Z", "2026-03-04T14:00:00Z"},
		{"rate(1 day)", "2026-03-04T10:00:00Z", "2026-03-05T00:00:00Z"},
		{"rate(5 minutes)", "1969-12-31T23:58:00Z", "1970-01-01T00:00:00Z"},
		{"rate(5 minutes)", "1969-12-31T23:53:00Z", "1969-12-31T23:55:00Z"},

		{"cron(0 12 * * ? *)", "2026-03-04T11:59:59Z", "2026-03-04T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2026-03-04T12:00:00Z", "2026-03-05T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2026-12-31T12:00:00Z", "2027-01-01T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2026-03-04T12:30:00+01:00", "2026-03-04T12:00:00Z"},

		// Last Friday of the month, 2026 to 2030.
		{"cron(15 10 ? * 6L 2026-2030)", "2020-05-05T00:00:00Z", "2026-01-30T10:15:00Z"},
		{"cron(15 10 ? * 6L 2026-2030)", "2026-01-30T10:15:00Z", "2026-02-27T10:15:00Z"},
		{"cron(15 10 ? * 6L 2026-2030)", "2030-12-27T10:14:59Z", "2030-12-27T10:15:00Z"},
		{"cron(15 10 ? * 6L 2026-2030)", "2030-12-27T10:15:00Z", none},

		{"cron(0/15 * * * ? *)", "2026-03-04T10:07:00Z", "2026-03-04T10:15:00Z"},
		{"cron(0/15 * * * ? *)", "2026-03-04T10:45:00Z", "2026-03-04T11:00:00Z"},
		{"cron(0/15 * * * ? *)", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},

		// 2026-03-06 is a Friday.
		{"cron(0 9 ? * MON-FRI *)", "2026-03-05T10:00:00Z", "2026-03-06T09:00:00Z"},
		{"cron(0 9 ? * MON-FRI *)", "2026-03-06T09:00:00Z", "2026-03-09T09:00:00Z"},

		{"cron(0 0 L * ? *)", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"},
		{"cron(0 0 L * ? *)", "2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"cron(0 0 L * ? *)", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"},

		// The 15th is a Sunday in February 2026, a Saturday in August.
		{"cron(0 0 15W * ? *)", "2026-02-01T00:00:00Z", "2026-02-16T00:00:00Z"},
		{"cron(0 0 15W * ? *)", "2026-08-01T00:00:00Z", "2026-08-14T00:00:00Z"},
		{"cron(0 0 15W * ? *)", "2026-04-01T00:00:00Z", "2026-04-15T00:00:00Z"},
		// August 2026 starts on a Saturday; May 2026 ends on a Sunday.
		{"cron(0 0 1W * ? *)", "2026-07-31T00:00:00Z", "2026-08-03T00:00:00Z"},
		{"cron(0 0 31W * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T00:00:00Z"},
		{"cron(0 0 30W * ? *)", "2026-01-31T00:00:00Z", "2026-03-30T00:00:00Z"},
		{"cron(0 0 LW * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T00:00:00Z"},
		{"cron(0 0 LW * ? *)", "2026-01-01T00:00:00Z", "2026-01-30T00:00:00Z"},
		{"cron(0 0 LW * ? *)", "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z"},

		// Second Tuesday: March 2026 starts on a Sunday, April on a Wednesday.
		{"cron(0 0 ? * 3#2 *)", "2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z"},
		{"cron(0 0 ? * 3#2 *)", "2026-03-10T00:00:00Z", "2026-04-14T00:00:00Z"},
		{"cron(0 0 ? * L *)", "2026-03-01T00:00:00Z", "2026-03-07T00:00:00Z"},

		{"cron(0 0 1 1 ? 2020)", "2026-01-01T00:00:00Z", none},
		{"cron(0 0 1 1 ? 2020)", "2019-06-01T00:00:00Z", "2020-01-01T00:00:00Z"},
		{"cron(0 0 * * ? *)", "1900-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"cron(0 0 * * ? *)", "2199-12-31T00:00:00Z", none},
		{"cron(0 0 * * ? *)", "2200-01-01T00:00:00Z", none},
		{"cron(59 23 31 12 ? 2199)", "2199-12-31T23:58:00Z", "2199-12-31T23:59:00Z"},
		{"cron(0 0 30 2 ? *)", "2026-01-01T00:00:00Z", none},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		got, ok := e.Next(at(tc.after))
		if tc.want == none {
			if ok {
				t.Errorf("%s.Next(%s) = %s, want none", tc.expr, tc.after, got)
			}
			continue
		}
		if !ok || !got.Equal(at(tc.want)) || got.Location() != time.UTC {
			t.Errorf("%s.Next(%s) = %s, %v; want %s in UTC", tc.expr, tc.after, got, ok, tc.want)
		}
	}
}

func TestNextRateOverflow(t *testing.T) {
	e, err := Parse("rate(1000000 days)")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Unix(maxUnix-1000, 0)
	if got, ok := e.Next(after); ok {
		t.Errorf("Next(%d) = %d, want none past the last time.Time can hold", after.Unix(), got.Unix())
	}
	var zero Expression
	if got, ok := zero.Next(at("2026-01-01T00:00:00Z")); ok {
		t.Errorf("zero Expression fires at %s", got)
	}
}

// TestNextSequence checks Next's skipping against a minute-by-minute walk
// over a year, each expression with a rule written with the time package.
func TestNextSequence(t *testing.T) {
	start, end := at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")
	daysIn := func(t time.Time) int {
		return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	midnight := func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 }
	nearest := func(t time.Time, day int) int {
		d := time.Date(t.Year(), t.Month(), day, 0, 0, 0, 0, time.UTC)
		switch d.Weekday() {
		case time.Saturday:
			if day == 1 {
				return 3
			}
			return day - 1
		case time.Sunday:
			if day == daysIn(t) {
				return day - 2
			}
			return day + 1
		}
		return day
	}
	for _, tc := range []struct {
		expr string
		fire func(time.Time) bool
	}{
		{"cron(*/7 1-3,22 * * ? *)", func(t time.Time) bool {
			h := t.Hour()
			return t.Minute()%7 == 0 && (h >= 1 && h <= 3 || h == 22)
		}},
		{"cron(5-40/5 * ? * MON-FRI *)", func(t time.Time) bool {
			m, wd := t.Minute(), t.Weekday()
			return m >= 5 && m <= 40 && m%5 == 0 && wd >= time.Monday && wd <= time.Friday
		}},
		{"cron(0 12 1,15 JAN,jul ? 2026)", func(t time.Time) bool {
			return t.Hour() == 12 && t.Minute() == 0 && (t.Day() == 1 || t.Day() == 15) &&
				(t.Month() == time.January || t.Month() == time.July)
		}},
		{"cron(0 0 15W * ? *)", func(t time.Time) bool { return midnight(t) && t.Day() == nearest(t, 15) }},
		{"cron(0 0 1W * ? *)", func(t time.Time) bool { return midnight(t) && t.Day() == nearest(t, 1) }},
		{"cron(0 0 LW * ? *)", func(t time.Time) bool { return midnight(t) && t.Day() == nearest(t, daysIn(t)) }},
		{"cron(0 0 L * ? *)", func(t time.Time) bool { return midnight(t) && t.Day() == daysIn(t) }},
		{"cron(0 0 ? * 6L *)", func(t time.Time) bool {
			return midnight(t) && t.Weekday() == time.Friday && t.Day()+7 > daysIn(t)
		}},
		{"cron(0 0 ? * 3#2 *)", func(t time.Time) bool {
			return midnight(t) && t.Weekday() == time.Tuesday && t.Day() >= 8 && t.Day() <= 14
		}},
		{"cron(0 0 ? * 2#5 *)", func(t time.Time) bool {
			return midnight(t) && t.Weekday() == time.Monday && t.Day() >= 29
		}},
		{"rate(7 hours)", func(t time.Time) bool { return t.Unix()%(7*3600) == 0 }},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		var want, got []time.Time
		for m := start; m.Before(end); m = m.Add(time.Minute) {
			if tc.fire(m) {
				want = append(want, m)
			}
		}
		for after := start.Add(-time.Second); ; {
			next, ok := e.Next(after)
			if !ok || !next.Before(end) {
				break
			}
			got = append(got, next)
			after = next
		}
		if len(want) == 0 || !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("%s fires %d times in 2026, want %d (first %v, want %v)", tc.expr, len(got), len(want), first(got), first(want))
		}
	}
}

func first(ts []time.Time) []time.Time { return ts[:min(len(ts), 3)] }

func FuzzParse(f *testing.F) {
	for _, s := range valid {
		f.Add(s, int64(1772600000))
	}
	for _, s := range []string{"", "at(2026-01-01T00:00:00)", "cron(0 0 ? * 3#2,4 *)", "rate(05 minutes)", "cron(0 22-2 * * ? *)", "cron(0 0 30 2 ? *)"} {
		f.Add(s, int64(-1))
	}
	f.Fuzz(func(t *testing.T, s string, sec int64) {
		e, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q) failed with an empty message", s)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil || again != e {
			t.Fatalf("Parse(%q).String() = %q re-parses to %v, %v", s, e.String(), again, err)
		}
		// Years from about 1200 to 5100: either side of cron's 1970-2199.
		after := time.Unix(sec%1e11, 0)
		next, ok := e.Next(after)
		if !ok {
			return
		}
		if !next.After(after) || next.Location() != time.UTC || next.Second() != 0 {
			t.Fatalf("%s.Next(%s) = %s", s, after, next)
		}
		if then, ok := e.Next(next); ok && then.Sub(next) < MinInterval {
			t.Fatalf("%s fires at %s and %s, closer than %s", s, next, then, MinInterval)
		}
	})
}
