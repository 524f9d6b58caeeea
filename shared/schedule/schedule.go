// Package schedule checks Amazon EventBridge Scheduler's recurring schedule
// expressions, cron(...) and rate(...), so a cron job's schedule is refused
// with a message the user can act on before it ever reaches AWS, and tells
// when one fires.
//
// The rules are those of the EventBridge Scheduler User Guide, "Schedule
// types". Expressions are evaluated in UTC.
package schedule

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinInterval is the smallest gap between two firings Berth allows: 1 minute,
// EventBridge Scheduler's own granularity. Every expression Parse accepts
// keeps to it, since rate's smallest unit is the minute and cron has no
// seconds field.
const MinInterval = time.Minute

const (
	// maxLen bounds the work Parse does on input that came from a request.
	maxLen = 256
	// maxRate keeps value * unit far from overflowing int64 seconds.
	maxRate = 1_000_000
	minYear = 1970
	maxYear = 2199
)

const forms = "must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit), such as rate(5 minutes) or cron(0 12 * * ? *)"

// Expression is a parsed cron(...) or rate(...) expression, evaluated in UTC.
// Expressions are comparable with ==.
type Expression struct {
	text string
	// period is a rate's interval in seconds; 0 for a cron.
	period int64
	// A cron's fields; years holds year - minYear.
	minutes, hours, months, years set
	day                           dayRule
}

// Parse checks s; the error says what is wrong in words a user can act on.
// It does not name the field s came from: the caller does.
func Parse(s string) (Expression, error) {
	if len(s) > maxLen {
		return Expression{}, fmt.Errorf("is %d bytes long; at most %d are allowed", len(s), maxLen)
	}
	if !utf8.ValidString(s) {
		return Expression{}, errors.New("is not valid UTF-8")
	}
	text := strings.TrimSpace(s)
	if strings.IndexFunc(text, unicode.IsControl) >= 0 {
		return Expression{}, errors.New("contains a control character such as a tab or a line break; write the expression on one line with plain spaces")
	}
	inner, kind := split(text)
	switch kind {
	case "cron":
		return parseCron(text, inner)
	case "rate":
		return parseRate(text, inner)
	case "at":
		return Expression{}, fmt.Errorf("%s is a one-time schedule; cron jobs are recurring, so only cron(...) and rate(...) are accepted", text)
	}
	if i := strings.IndexByte(text, '('); i > 0 {
		switch k := text[:i]; strings.ToLower(k) {
		case "cron", "rate", "at":
			if k != strings.ToLower(k) {
				return Expression{}, fmt.Errorf("%s: write %q in lower case", text, k)
			}
			if strings.Contains(text, ")") {
				return Expression{}, fmt.Errorf("%s has text after its closing \")\"", text)
			}
			return Expression{}, fmt.Errorf("%s is missing its closing \")\"", text)
		}
	}
	return Expression{}, errors.New(forms)
}

// split returns the text between the parentheses of cron(...), rate(...) or
// at(...), and which one it is; kind is "" for anything else.
func split(text string) (inner, kind string) {
	for _, k := range []string{"cron", "rate", "at"} {
		if rest, ok := strings.CutPrefix(text, k+"("); ok {
			if inner, ok := strings.CutSuffix(rest, ")"); ok {
				return inner, k
			}
		}
	}
	return "", ""
}

// String returns the expression as given, without surrounding spaces.
func (e Expression) String() string { return e.text }

// Next returns the first firing strictly after after, in UTC, or false when
// there is none (a cron whose years have passed, or one, such as
// cron(0 0 30 2 ? *), whose days never come).
//
// Rate firings fall at the Unix epoch plus whole periods. This is Berth's
// local scheduler's approximation: AWS counts a rate from the schedule's
// creation (or start date), which a bare expression does not know.
func (e Expression) Next(after time.Time) (time.Time, bool) {
	if e.period > 0 {
		return e.nextRate(after)
	}
	return e.nextCron(after)
}

// maxUnix is the largest Unix second time.Unix takes without overflowing
// its internal count from year 1.
const maxUnix = math.MaxInt64 - 62135596800

func (e Expression) nextRate(after time.Time) (time.Time, bool) {
	p := e.period
	sec := after.Unix() // rounds down, so the firing is after any fraction too
	k := sec / p
	if sec%p != 0 && sec < 0 {
		k--
	}
	k++
	if k > maxUnix/p {
		return time.Time{}, false
	}
	return time.Unix(k*p, 0).UTC(), true
}

// nextCron walks years, months, days, hours and minutes in turn, skipping
// each unit that does not match as a whole, so the search is bounded by
// the days up to maxYear rather than the minutes.
func (e Expression) nextCron(after time.Time) (time.Time, bool) {
	t := after.UTC()
	switch {
	case t.Year() > maxYear:
		return time.Time{}, false
	case t.Year() < minYear:
		t = time.Date(minYear, time.January, 1, 0, 0, 0, 0, time.UTC)
	default:
		t = t.Truncate(time.Minute).Add(time.Minute)
	}
	y, month, d := t.Date()
	mo, h, mi := int(month), t.Hour(), t.Minute()
	for ; y <= maxYear; y, mo, d, h, mi = y+1, 1, 1, 0, 0 {
		if !e.years.has(y - minYear) {
			continue
		}
		for ; mo <= 12; mo, d, h, mi = mo+1, 1, 0, 0 {
			if !e.months.has(mo) {
				continue
			}
			last := daysIn(y, mo)
			first := int(time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC).Weekday()) + 1
			for ; d <= last; d, h, mi = d+1, 0, 0 {
				if !e.day.matches(d, last, first) {
					continue
				}
				for ; h <= 23; h, mi = h+1, 0 {
					if !e.hours.has(h) {
						continue
					}
					if m := e.minutes.next(mi); m >= 0 && m <= 59 {
						return time.Date(y, time.Month(mo), d, h, m, 0, 0, time.UTC), true
					}
				}
			}
		}
	}
	return time.Time{}, false
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func parseRate(text, inner string) (Expression, error) {
	parts := fields(inner)
	if len(parts) != 2 {
		return Expression{}, fmt.Errorf("%s: must be rate(value unit), such as rate(5 minutes) or rate(1 hour)", text)
	}
	value, unit := parts[0], parts[1]
	if !digits(value) || strings.Trim(value, "0") == "" {
		return Expression{}, fmt.Errorf("%s: the value must be a positive whole number", text)
	}
	if value[0] == '0' {
		return Expression{}, fmt.Errorf("%s: the value must be a positive whole number without leading zeros, such as %s", text, strings.TrimLeft(value, "0"))
	}
	n, err := strconv.Atoi(value)
	if len(value) > 7 || err != nil || n > maxRate {
		return Expression{}, fmt.Errorf("%s: the value must be at most %d", text, maxRate)
	}
	var seconds int64
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		seconds = 60
	case "hour":
		seconds = 60 * 60
	case "day":
		seconds = 24 * 60 * 60
	default:
		if n == 1 {
			return Expression{}, fmt.Errorf("%s: the unit must be minute, hour or day", text)
		}
		return Expression{}, fmt.Errorf("%s: the unit must be minutes, hours or days", text)
	}
	plural := strings.HasSuffix(unit, "s")
	if n == 1 && plural {
		return Expression{}, fmt.Errorf("%s: use %q for 1", text, strings.TrimSuffix(unit, "s"))
	}
	if n != 1 && !plural {
		return Expression{}, fmt.Errorf("%s: use %q for values other than 1", text, unit+"s")
	}
	return Expression{text: text, period: int64(n) * seconds}, nil
}

func parseCron(text, inner string) (Expression, error) {
	parts := fields(inner)
	if len(parts) != 6 {
		return Expression{}, fmt.Errorf("%s has %d fields; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year", text, len(parts))
	}
	// Names and L, W are case-insensitive.
	for i := range parts {
		parts[i] = strings.ToUpper(parts[i])
	}
	e := Expression{text: text}
	var err error
	wrap := func(err error) (Expression, error) {
		return Expression{}, fmt.Errorf("%s: %w", text, err)
	}
	if e.minutes, err = minutesField.list(parts[0]); err != nil {
		return wrap(err)
	}
	if e.hours, err = hoursField.list(parts[1]); err != nil {
		return wrap(err)
	}
	if e.months, err = monthField.list(parts[3]); err != nil {
		return wrap(err)
	}
	if e.years, err = yearField.list(parts[5]); err != nil {
		return wrap(err)
	}
	dom, dow := parts[2], parts[4]
	switch {
	case dom == "?" && dow == "?":
		return wrap(errors.New(`day-of-month and day-of-week cannot both be "?"; set one of them, such as day-of-month "*"`))
	case dom != "?" && dow != "?":
		return wrap(errors.New(`day-of-month and day-of-week cannot both be set; one of them must be "?"`))
	case dow == "?":
		e.day, err = dayOfMonth(dom)
	default:
		e.day, err = dayOfWeek(dow)
	}
	if err != nil {
		return wrap(err)
	}
	return e, nil
}

// set holds the values of a field, from 0 to 255.
type set [4]uint64

func (s *set) add(v int) { s[v/64] |= 1 << (v % 64) }

func (s set) has(v int) bool { return v >= 0 && v < 256 && s[v/64]&(1<<(v%64)) != 0 }

// next returns the smallest value in s that is at least v, or -1.
func (s set) next(v int) int {
	if v < 0 {
		v = 0
	}
	for i := v / 64; i < len(s); i++ {
		w := s[i]
		if i == v/64 {
			w &= ^uint64(0) << (v % 64)
		}
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

type field struct {
	name     string
	min, max int
	// names[i] stands for min+i.
	names []string
	// maxStep is the largest increment after "/"; 0 when "/" is refused.
	maxStep int
	// offset is subtracted from values before they go into a set.
	offset int
}

var (
	minutesField = field{name: "minutes", min: 0, max: 59, maxStep: 59}
	hoursField   = field{name: "hours", min: 0, max: 23, maxStep: 23}
	domField     = field{name: "day-of-month", min: 1, max: 31, maxStep: 31}
	monthField   = field{name: "month", min: 1, max: 12, maxStep: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	// AWS lists no "/" for day-of-week.
	dowField = field{name: "day-of-week", min: 1, max: 7,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	yearField = field{name: "year", min: minYear, max: maxYear, maxStep: maxYear - minYear, offset: minYear}
)

// list parses a field made of ",", "-", "*" and "/".
func (f field) list(text string) (set, error) {
	var s set
	if strings.Contains(text, "?") {
		if f.name == domField.name || f.name == dowField.name {
			return s, fmt.Errorf(`%s %q: "?" must be the whole field`, f.name, text)
		}
		return s, fmt.Errorf(`%s does not accept "?"; it is only for day-of-month or day-of-week`, f.name)
	}
	for item := range strings.SplitSeq(text, ",") {
		if item == "" {
			return s, fmt.Errorf("%s %q has an empty list item", f.name, text)
		}
		lo, hi, step, err := f.item(item)
		if err != nil {
			return s, err
		}
		for v := lo; v <= hi; v += step {
			s.add(v - f.offset)
		}
	}
	return s, nil
}

// item parses one list item: *, a value, a range a-b, each with an
// optional /increment.
func (f field) item(item string) (lo, hi, step int, err error) {
	rng, inc, stepped := strings.Cut(item, "/")
	if stepped && f.maxStep == 0 {
		return 0, 0, 0, fmt.Errorf(`%s does not accept "/"`, f.name)
	}
	if rng == "" {
		return 0, 0, 0, fmt.Errorf("%s %q needs a value before \"/\", such as */5 or %d/5", f.name, item, f.min)
	}
	if a, b, ok := strings.Cut(rng, "-"); ok {
		if a == "" || b == "" || a == "*" || b == "*" {
			return 0, 0, 0, fmt.Errorf("%s %q is not a range; write ranges as first-last, such as %s", f.name, item, f.example())
		}
		if lo, err = f.value(a); err != nil {
			return 0, 0, 0, err
		}
		if hi, err = f.value(b); err != nil {
			return 0, 0, 0, err
		}
		if lo > hi {
			return 0, 0, 0, fmt.Errorf("%s range %q runs backwards; split it, such as %d-%d,%d-%d", f.name, rng, lo, f.max, f.min, hi)
		}
	} else if rng == "*" {
		lo, hi = f.min, f.max
	} else {
		if lo, err = f.value(rng); err != nil {
			return 0, 0, 0, err
		}
		hi = lo
		if stepped {
			hi = f.max
		}
	}
	step = 1
	if stepped {
		n, ok := number(inc)
		if !ok || n < 1 || n > f.maxStep {
			return 0, 0, 0, fmt.Errorf("%s %q: the increment after \"/\" must be a whole number from 1 to %d", f.name, item, f.maxStep)
		}
		step = n
	}
	return lo, hi, step, nil
}

func (f field) example() string {
	if f.names != nil {
		return f.names[1] + "-" + f.names[len(f.names)-2]
	}
	return fmt.Sprintf("%d-%d", f.min, f.min+5)
}

// value parses one number or name and checks its range.
func (f field) value(s string) (int, error) {
	if n, ok := number(s); ok {
		if n < f.min || n > f.max {
			return 0, fmt.Errorf("%s %q is out of range %d-%d", f.name, s, f.min, f.max)
		}
		return n, nil
	}
	for i, name := range f.names {
		if s == name {
			return f.min + i, nil
		}
	}
	// A hint for L, W or # in a field that has no such wildcard (names
	// such as JUL or WED have been matched above).
	if strings.ContainsAny(s, "0123456789") || s == "L" || s == "W" {
		for _, c := range []struct {
			char   string
			fields []string
		}{
			{"L", []string{domField.name, dowField.name}},
			{"W", []string{domField.name}},
			{"#", []string{dowField.name}},
		} {
			if strings.Contains(s, c.char) && !slices.Contains(c.fields, f.name) {
				return 0, fmt.Errorf("%s %q: %q is only for %s", f.name, s, c.char, strings.Join(c.fields, " and "))
			}
		}
	}
	if f.names != nil {
		return 0, fmt.Errorf("%s %q is not a number %d-%d or a name %s-%s", f.name, s, f.min, f.max, f.names[0], f.names[len(f.names)-1])
	}
	return 0, fmt.Errorf("%s %q is not a number", f.name, s)
}

// fields splits on spaces alone: a tab is refused before, and other
// Unicode spaces would not pass AWS either.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' })
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// number parses an unsigned decimal short enough not to overflow.
func number(s string) (int, bool) {
	if !digits(s) || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

type dayKind uint8

const (
	monthDays      dayKind = iota // days holds days of the month
	weekDays                      // days holds days of the week, 1 = Sunday
	lastDay                       // L: the last day of the month
	lastWeekday                   // LW: the last weekday of the month
	nearestWeekday                // nW: the weekday nearest day n, within the month
	lastOf                        // nL: the last weekday n of the month
	nthOf                         // n#k: the k-th weekday n of the month
)

// dayRule is whichever of day-of-month and day-of-week is not "?".
type dayRule struct {
	kind dayKind
	days set
	n    int
	nth  int
}

// matches reports whether day d fires, in a month of last days whose first
// day is weekday first (1 = Sunday).
func (r dayRule) matches(d, last, first int) bool {
	weekday := func(d int) int { return (first+d-2)%7 + 1 }
	switch r.kind {
	case monthDays:
		return r.days.has(d)
	case weekDays:
		return r.days.has(weekday(d))
	case lastDay:
		return d == last
	case lastWeekday:
		switch weekday(last) {
		case 7:
			return d == last-1
		case 1:
			return d == last-2
		}
		return d == last
	case nearestWeekday:
		n := r.n
		if n > last {
			return false
		}
		// Never moves into another month: a Saturday 1st goes to Monday
		// the 3rd, a Sunday last day back to Friday.
		switch weekday(n) {
		case 7:
			if n == 1 {
				n = 3
			} else {
				n--
			}
		case 1:
			if n == last {
				n -= 2
			} else {
				n++
			}
		}
		return d == n
	case lastOf:
		return weekday(d) == r.n && d+7 > last
	case nthOf:
		return weekday(d) == r.n && (d-1)/7+1 == r.nth
	}
	return false
}

func dayOfMonth(text string) (dayRule, error) {
	special := strings.ContainsAny(text, "LW")
	switch {
	case special && strings.Contains(text, ","):
		return dayRule{}, fmt.Errorf("day-of-month %q: L and W cannot be combined with other days", text)
	case text == "L":
		return dayRule{kind: lastDay}, nil
	case text == "LW":
		return dayRule{kind: lastWeekday}, nil
	case strings.Contains(text, "L"):
		return dayRule{}, fmt.Errorf(`day-of-month %q: use "L" for the last day of the month or "LW" for its last weekday`, text)
	case strings.Contains(text, "W"):
		n, ok := strings.CutSuffix(text, "W")
		if !ok || !digits(n) {
			return dayRule{}, fmt.Errorf("day-of-month %q: W takes a single day, such as 15W for the weekday nearest the 15th", text)
		}
		d, err := domField.value(n)
		if err != nil {
			return dayRule{}, err
		}
		return dayRule{kind: nearestWeekday, n: d}, nil
	}
	days, err := domField.list(text)
	return dayRule{kind: monthDays, days: days}, err
}

func dayOfWeek(text string) (dayRule, error) {
	special := strings.ContainsAny(text, "L#")
	switch {
	case special && strings.Contains(text, ","):
		return dayRule{}, fmt.Errorf("day-of-week %q: L and # cannot be combined with other days", text)
	case text == "L":
		var days set
		days.add(7)
		return dayRule{kind: weekDays, days: days}, nil
	case strings.Contains(text, "L"):
		n, ok := strings.CutSuffix(text, "L")
		d, err := dowField.value(n)
		if !ok || err != nil {
			return dayRule{}, fmt.Errorf("day-of-week %q: L takes a single day, such as 6L for the last Friday of the month", text)
		}
		return dayRule{kind: lastOf, n: d}, nil
	case strings.Contains(text, "#"):
		n, k, _ := strings.Cut(text, "#")
		d, err := dowField.value(n)
		if err != nil {
			return dayRule{}, fmt.Errorf("day-of-week %q: # takes a single day before it, such as 3#2 for the second Tuesday of the month", text)
		}
		nth, ok := number(k)
		if !ok || nth < 1 || nth > 5 {
			return dayRule{}, fmt.Errorf("day-of-week %q: the week after \"#\" must be 1-5, such as 3#2 for the second Tuesday of the month", text)
		}
		return dayRule{kind: nthOf, n: d, nth: nth}, nil
	}
	days, err := dowField.list(text)
	return dayRule{kind: weekDays, days: days}, err
}
