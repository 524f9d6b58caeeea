package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/logs"
)

// The sandbox's CloudWatch Logs: every task's containers write to their
// task definition's log group, stream logs.StreamPrefix/<container>/<task
// id>, as the awslogs driver does. Lines are written lazily: whoever
// reads (Filter, LogLines) first writes, on the sandbox clock, whatever
// the tasks have logged by now, so a line never appears before its time.

// MaxLogEvents is how many events a log group keeps: the newest.
const MaxLogEvents = 10000

// logEvent is one stored event; seq orders events of the same millisecond.
type logEvent struct {
	logs.Event
	seq int64
	// note marks a line the sandbox writes about a container (a job's start
	// line), not one the container's program printed: LogLines, which
	// answers a job's output, leaves it out.
	note bool
}

// logStore is the events of every log group, oldest first.
type logStore struct {
	groups map[string][]logEvent
	// pending are events written and not yet merged into their groups.
	pending map[string][]logEvent
	seq     int64
	// deleted are groups deleted since they were last created: what tasks
	// still write to them is lost, as the awslogs driver's writes are.
	deleted map[string]bool
}

// write records one event, which flushLogs then stores. Callers hold mu.
func (s *Sandbox) write(group, stream string, at time.Time, message string, note bool) {
	if group == "" || s.logs.deleted[group] {
		return
	}
	if s.logs.pending == nil {
		s.logs.pending = map[string][]logEvent{}
	}
	s.logs.seq++
	at = at.Truncate(time.Millisecond) // CloudWatch keeps milliseconds
	s.logs.pending[group] = append(s.logs.pending[group], logEvent{
		Event: logs.Event{ID: fmt.Sprintf("%020d%016d", at.UnixMilli(), s.logs.seq), Timestamp: at, Stream: stream, Message: message},
		seq:   s.logs.seq, note: note})
}

// flushLogs merges the events written into their groups, in time order
// (then in the order written), keeping each group's newest MaxLogEvents.
// Callers hold mu.
func (s *Sandbox) flushLogs() {
	for group, batch := range s.logs.pending {
		sort.SliceStable(batch, func(i, j int) bool { return batch[i].Timestamp.Before(batch[j].Timestamp) })
		old := s.logs.groups[group]
		merged := make([]logEvent, 0, len(old)+len(batch))
		i, j := 0, 0
		for i < len(old) || j < len(batch) {
			if j == len(batch) || i < len(old) && !batch[j].Timestamp.Before(old[i].Timestamp) {
				merged = append(merged, old[i])
				i++
			} else {
				merged = append(merged, batch[j])
				j++
			}
		}
		if len(merged) > MaxLogEvents {
			merged = append([]logEvent(nil), merged[len(merged)-MaxLogEvents:]...)
		}
		if s.logs.groups == nil {
			s.logs.groups = map[string][]logEvent{}
		}
		s.logs.groups[group] = merged
	}
	s.logs.pending = nil
}

// dropLogs deletes a log group's events, as deleting the group does.
// Callers hold mu.
func (s *Sandbox) dropLogs(group string) {
	s.writeLogs(s.Now())
	delete(s.logs.groups, group)
	if s.logs.deleted == nil {
		s.logs.deleted = map[string]bool{}
	}
	s.logs.deleted[group] = true
}

// LogGroups counts each log group's stored events (written by now), for
// GET /_local/sandbox. It is a test and make run knob, not part of a port.
func (s *Sandbox) LogGroups() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLogs(s.Now())
	out := map[string]int{}
	for g, events := range s.logs.groups {
		out[g] = len(events)
	}
	return out
}

// writeLogs writes what every task has logged by now. Callers hold mu.
func (s *Sandbox) writeLogs(now time.Time) {
	for _, rs := range s.rollouts {
		for i := range rs {
			s.writeRolloutLogs(rs, i, now)
		}
	}
	for _, j := range s.jobs {
		s.writeJobLogs(j, now)
	}
	s.flushLogs()
}

// streamOf is a container's stream in a task.
func streamOf(container, taskID string) string {
	return logs.StreamPrefix + "/" + container + "/" + taskID
}

// LogLines implements cloud.Cloud: the last limit lines a container's
// program wrote to the stream by now (a rollout's failed container, a
// job's output); the sandbox's own notes, such as a job's start line,
// are left out. Fault "LogLines" fails it.
func (s *Sandbox) LogLines(_ context.Context, group, stream string, limit int) ([]string, error) {
	const op = "LogLines"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return nil, err
	}
	now := s.Now()
	s.writeLogs(now)
	found := false
	lines := []string{}
	for _, e := range s.logs.groups[group] {
		if e.Stream != stream {
			continue
		}
		found = true
		if !e.note {
			lines = append(lines, e.Message)
		}
	}
	if !found {
		return nil, fmt.Errorf("sandbox %s: ResourceNotFoundException: The specified log stream does not exist: %s in %s: %w", op, stream, group, cloud.ErrNotFound)
	}
	return last(lines, limit), nil
}

// Logs is the sandbox's logs.Reader: FilterLogEvents on the log groups it
// holds. Fault "FilterLogEvents" fails it.
func (s *Sandbox) Logs() logs.Reader { return sandboxLogs{s} }

type sandboxLogs struct{ s *Sandbox }

var _ logs.Reader = sandboxLogs{}

// Filter implements logs.Reader, as FilterLogEvents does: the group must
// exist, events come oldest first, and a NextToken continues after the
// last event answered while more match.
func (l sandboxLogs) Filter(_ context.Context, f logs.Filter) (logs.Page, error) {
	const op = "FilterLogEvents"
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return logs.Page{}, err
	}
	s.settle()
	if g, ok := s.resources[resourceKey(cloud.KindLogGroup, f.Group)]; !ok || g.deleting {
		return logs.Page{}, fmt.Errorf("sandbox %s: ResourceNotFoundException: The specified log group does not exist: %s: %w", op, f.Group, logs.ErrNoGroup)
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 10000 // FilterLogEvents' default
	case limit < 0 || limit > 10000:
		return logs.Page{}, invalid(op, "InvalidParameterException: limit %d: 1 to 10000", limit)
	}
	match, err := compilePattern(f.Pattern)
	if err != nil {
		return logs.Page{}, fmt.Errorf("sandbox %s: InvalidParameterException: %w", op, err)
	}
	var after *position
	if f.NextToken != "" {
		p, err := decodeToken(f.Group, f.NextToken)
		if err != nil {
			return logs.Page{}, fmt.Errorf("sandbox %s: InvalidParameterException: %w", op, err)
		}
		after = &p
	}
	now := s.Now()
	s.writeLogs(now)
	page := logs.Page{Events: []logs.Event{}}
	for _, e := range s.logs.groups[f.Group] {
		ms := e.Timestamp.UnixMilli()
		switch {
		case after != nil && (ms < after.ms || ms == after.ms && e.seq <= after.seq),
			!f.Start.IsZero() && ms < f.Start.UnixMilli(),
			!f.End.IsZero() && ms > f.End.UnixMilli(),
			!strings.HasPrefix(e.Stream, f.StreamPrefix),
			!match(e.Message):
			continue
		}
		if len(page.Events) == limit {
			last := page.Events[len(page.Events)-1]
			page.NextToken = encodeToken(f.Group, position{ms: last.Timestamp.UnixMilli(), seq: seqOf(last.ID)})
			break
		}
		page.Events = append(page.Events, e.Event)
	}
	return page, nil
}

// position is where a page ended: its last event's millisecond and seq.
type position struct {
	ms, seq int64
}

// seqOf reads the seq back from an event id (its last 16 digits).
func seqOf(id string) int64 {
	n, _ := strconv.ParseInt(id[len(id)-16:], 10, 64)
	return n
}

// A next token is base64 of "<ms>.<seq>.<check>", check binding it to
// its group, so that a token is refused by another group and when edited.
func encodeToken(group string, p position) string {
	body := strconv.FormatInt(p.ms, 10) + "." + strconv.FormatInt(p.seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(body + "." + tokenCheck(group, body)))
}

func tokenCheck(group, body string) string {
	sum := sha256.Sum256([]byte("sandbox-logs\x00" + group + "\x00" + body))
	return hex.EncodeToString(sum[:6])
}

var errToken = logs.ErrInvalidToken

func decodeToken(group, token string) (position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	parts := strings.Split(string(raw), ".")
	if err != nil || len(parts) != 3 || tokenCheck(group, parts[0]+"."+parts[1]) != parts[2] {
		return position{}, fmt.Errorf("%w: %q was not given out for log group %s", errToken, token, group)
	}
	ms, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return position{}, fmt.Errorf("%w: %v", errToken, err)
	}
	return position{ms: ms, seq: seq}, nil
}

// compilePattern understands this much of CloudWatch's filter pattern
// syntax for unstructured lines: an empty pattern matches every event;
// terms separated by spaces must all appear (case-sensitive); a "quoted
// phrase" is one term, spaces and all; a term with a leading '-' must
// not appear; terms with a leading '?' match when any of them appears
// (with plain terms as well, those must all appear too). JSON patterns
// ({ $.level = "error" }), space-delimited ones ([ip, user, ...]) and
// numeric comparisons are refused: the sandbox does not support them.
func compilePattern(pattern string) (func(string) bool, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", logs.ErrInvalidPattern, fmt.Sprintf(format, args...))
	}
	p := strings.TrimSpace(pattern)
	switch {
	case p == "":
		return func(string) bool { return true }, nil
	case strings.HasPrefix(p, "{"):
		return nil, bad("%q: JSON filter patterns ({ $.field = value }) are not supported by the sandbox; use terms, \"quoted phrases\", -exclusions or ?alternatives", pattern)
	case strings.HasPrefix(p, "["):
		return nil, bad("%q: space-delimited filter patterns ([field, ...]) are not supported by the sandbox", pattern)
	}
	var all, none, any []string
	for i := 0; i < len(p); {
		if p[i] == ' ' || p[i] == '\t' {
			i++
			continue
		}
		kind := byte(0)
		if p[i] == '-' || p[i] == '?' {
			kind = p[i]
			i++
		}
		var term string
		if i < len(p) && p[i] == '"' {
			end := strings.IndexByte(p[i+1:], '"')
			if end < 0 {
				return nil, bad("%q: unbalanced quotes", pattern)
			}
			term = p[i+1 : i+1+end]
			i += end + 2
			if i < len(p) && p[i] != ' ' && p[i] != '\t' {
				return nil, bad("%q: a quoted phrase must be followed by a space or the end", pattern)
			}
		} else {
			end := strings.IndexAny(p[i:], " \t")
			if end < 0 {
				end = len(p) - i
			}
			term = p[i : i+end]
			i += end
			if strings.ContainsRune(term, '"') {
				return nil, bad("%q: unbalanced quotes", pattern)
			}
		}
		if term == "" {
			return nil, bad("%q: an empty term", pattern)
		}
		switch kind {
		case '-':
			none = append(none, term)
		case '?':
			any = append(any, term)
		default:
			all = append(all, term)
		}
	}
	return func(msg string) bool {
		for _, t := range all {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range none {
			if strings.Contains(msg, t) {
				return false
			}
		}
		if len(any) == 0 {
			return true
		}
		for _, t := range any {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}, nil
}
