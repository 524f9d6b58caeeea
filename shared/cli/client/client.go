// Package client is the berth CLI's HTTP client for the Berth API: it
// sends the token, encodes and decodes JSON, and turns an error answer
// into a *Problem (the API's RFC 9457 problem detail, see docs/errors.md).
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Client talks to one organisation of one Berth API.
type Client struct {
	// BaseURL is the API's root, such as http://127.0.0.1:3000.
	BaseURL      string
	Organisation string
	Token        string
	HTTP         *http.Client
	// UserAgent names the CLI and its version.
	UserAgent string
}

// OrgPath is the organisation's path, under which every operation is.
func (c *Client) OrgPath() string {
	return "/api/v3/organizations/" + url.PathEscape(c.Organisation)
}

// Problem is an error answer: the API's problem detail, or, for an answer
// that is not one, its status and the start of its body.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance"`
	Errors    map[string][]string `json:"errors"`
	RequestID string              `json:"requestId"`
	// Method and Path are the request's.
	Method, Path string `json:"-"`
}

// Error is the problem on one line: its status, title and detail.
func (p *Problem) Error() string {
	// The API's details start with the title ("The request is invalid: see
	// errors for each field."), so a detail stands for both.
	switch {
	case p.Detail == "":
		return fmt.Sprintf("%d %s", p.Status, p.Title)
	case p.Title == "" || strings.HasPrefix(p.Detail, p.Title):
		return fmt.Sprintf("%d %s", p.Status, p.Detail)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

// Fields are the problem's field paths, sorted.
func (p *Problem) Fields() []string {
	out := make([]string, 0, len(p.Errors))
	for f := range p.Errors {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// IsStatus reports whether err is a problem of the given status.
func IsStatus(err error, status int) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == status
}

// Response is a successful answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Location is the answer's Location header as a path under the API's
// root (a full URL is reduced to its path).
func (r *Response) Location() string {
	loc := r.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		return u.RequestURI()
	}
	return loc
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("the API answered something that is not the expected JSON: %w", err)
	}
	return nil
}

// Do sends a request to path (under the API's root; a path starting with
// "/api/" is used as is, any other is taken under the organisation) with
// body as JSON unless nil, and answers the response, or a *Problem for a
// status of 400 or more. Requests that change something carry a new
// Idempotency-Key, so that a retried request never runs twice.
func (c *Client) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		return nil, problemOf(method, req.URL.Path, resp.StatusCode, raw)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// JSON is Do that decodes the answer into out, unless out is nil.
func (c *Client) JSON(ctx context.Context, method, path string, body, out any) (*Response, error) {
	resp, err := c.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := resp.Decode(out); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	if c.BaseURL == "" {
		return nil, errors.New("no API URL: run berth login --url URL, or set BERTH_URL")
	}
	if c.Organisation == "" {
		return nil, errors.New("no organisation: run berth login --org ORG, or set BERTH_ORG")
	}
	if c.Token == "" {
		return nil, errors.New("no token: run berth login --token TOKEN, or set BERTH_TOKEN")
	}
	if !strings.HasPrefix(path, "/api/") {
		path = c.OrgPath() + path
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Idempotency-Key", newKey())
	}
	return req, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "berth-cli-" + hex.EncodeToString(b)
}

// problemOf reads an error answer.
func problemOf(method, path string, status int, raw []byte) *Problem {
	p := &Problem{}
	if err := json.Unmarshal(raw, p); err != nil || p.Status == 0 {
		text := strings.TrimSpace(string(raw))
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		p = &Problem{Status: status, Title: http.StatusText(status), Detail: text}
	}
	if p.Status == 0 {
		p.Status = status
	}
	p.Method, p.Path = method, path
	return p
}

// Event is one Server-Sent Event.
type Event struct {
	ID, Name string
	Data     []byte
}

// Stream GETs path as a Server-Sent Events stream (lastID as
// Last-Event-ID when not empty) and calls fn for each event until the
// stream ends or fn fails.
func (c *Client) Stream(ctx context.Context, path, lastID string, fn func(Event) error) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	hc := *c.httpClient()
	hc.Timeout = 0 // a stream lasts as long as the server keeps it open
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return problemOf(http.MethodGet, req.URL.Path, resp.StatusCode, raw)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ev Event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Data != nil || ev.ID != "" {
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev = Event{}
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				ev.ID = value
			case "event":
				ev.Name = value
			case "data":
				if ev.Data != nil {
					ev.Data = append(ev.Data, '\n')
				}
				ev.Data = append(ev.Data, value...)
			}
		}
	}
	return sc.Err()
}
