package main

import (
	"fmt"
	"net/http"
	"strconv"
)

// statusClasses counts answers by what they mean to a client: success,
// its own mistake, slow down (429), come back later (503 with
// Retry-After), and the server's fault (any other 5xx, or a 503 that says
// not when). NoAnswer is a request the client gave up on.
type statusClasses struct {
	OK                int `json:"2xx"`
	ClientError       int `json:"4xx"` // less 429
	TooManyRequests   int `json:"429"`
	BusyRetryAfter    int `json:"503WithRetryAfter"`
	BusyNoRetryAfter  int `json:"503WithoutRetryAfter"`
	ServerErrorOther  int `json:"5xxOther"`
	OtherStatus       int `json:"other,omitempty"` // 1xx and 3xx: none expected
	NoAnswer          int `json:"noAnswer"`
	RetryAfterInvalid int `json:"retryAfterUnparsable,omitempty"`
}

// add counts one answer: its status and its Retry-After header.
func (c *statusClasses) add(status int, retryAfter string) {
	switch {
	case status == http.StatusServiceUnavailable && validRetryAfter(retryAfter):
		c.BusyRetryAfter++
	case status == http.StatusServiceUnavailable:
		c.BusyNoRetryAfter++
		if retryAfter != "" {
			c.RetryAfterInvalid++
		}
	case status >= 500:
		c.ServerErrorOther++
	case status == http.StatusTooManyRequests:
		c.TooManyRequests++
	case status >= 400:
		c.ClientError++
	case status >= 200 && status < 300:
		c.OK++
	default:
		c.OtherStatus++
	}
}

// validRetryAfter is RFC 9110's Retry-After: delay-seconds or an HTTP-date.
// One a client cannot read tells it no more than none.
func validRetryAfter(v string) bool {
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	_, err := http.ParseTime(v)
	return err == nil
}

func (c statusClasses) plus(o statusClasses) statusClasses {
	return statusClasses{c.OK + o.OK, c.ClientError + o.ClientError, c.TooManyRequests + o.TooManyRequests,
		c.BusyRetryAfter + o.BusyRetryAfter, c.BusyNoRetryAfter + o.BusyNoRetryAfter, c.ServerErrorOther + o.ServerErrorOther,
		c.OtherStatus + o.OtherStatus, c.NoAnswer + o.NoAnswer, c.RetryAfterInvalid + o.RetryAfterInvalid}
}

// mixVerdict is the mixed load's goal, backpressure not errors: no answer
// of 500 or above but 503 with Retry-After, and every request answered
// within requestTimeout (a request left hanging is no backpressure
// either). It returns what fell short; none means met.
func mixVerdict(c statusClasses) []string {
	var unmet []string
	if c.ServerErrorOther > 0 {
		unmet = append(unmet, fmt.Sprintf("%d answers ≥500 other than 503", c.ServerErrorOther))
	}
	if c.BusyNoRetryAfter > 0 {
		unmet = append(unmet, fmt.Sprintf("%d 503s without a valid Retry-After", c.BusyNoRetryAfter))
	}
	if c.NoAnswer > 0 {
		unmet = append(unmet, fmt.Sprintf("%d requests unanswered within %s", c.NoAnswer, requestTimeout))
	}
	return unmet
}
