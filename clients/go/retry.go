package eas

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorKind is the kind of a transport failure for the retry decision (RETRY-2).
type ErrorKind string

// Transport failure kinds.
const (
	ErrorConnect ErrorKind = "connect" // no connection: refused, DNS, connect timeout
	ErrorReset   ErrorKind = "reset"   // the connection broke before a full response
	ErrorTimeout ErrorKind = "timeout" // no full response within the attempt timeout
	// ErrorTooLarge is a body past the response size cap (LIMIT-1); it is never retried.
	ErrorTooLarge ErrorKind = "too_large"
)

// policy holds the retry settings of a client or a call.
type policy struct {
	maxRetries    int
	backoffBase   time.Duration
	backoffMax    time.Duration
	retryAfterCap time.Duration
	deadline      time.Duration // 0: none
	retryStatuses map[int]bool
	retryErrors   map[ErrorKind]bool
}

func defaultPolicy() policy {
	return policy{
		maxRetries:    3,
		backoffBase:   100 * time.Millisecond,
		backoffMax:    5 * time.Second,
		retryAfterCap: 30 * time.Second,
		retryStatuses: map[int]bool{408: true, 429: true, 450: true, 502: true, 503: true, 504: true},
		retryErrors:   map[ErrorKind]bool{ErrorConnect: true, ErrorReset: true},
	}
}

// backoff is the full-jitter wait before retry n (1-based): rand × min(max, base × 2^(n−1)) (RETRY-4).
func (p *policy) backoff(retry int, rand float64) time.Duration {
	ceiling := p.backoffMax.Seconds()
	if exp := float64(retry - 1); exp < 1024 {
		ceiling = math.Min(ceiling, p.backoffBase.Seconds()*math.Pow(2, exp))
	}
	return seconds(rand * ceiling)
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// parseRetryAfter reads a Retry-After value at time now (RETRY-5): delay-seconds (a decimal
// fraction allowed) or an HTTP-date in any RFC 9110 form. ok is false for a value to ignore.
func parseRetryAfter(value string, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if isDecimal(v) {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(s, 0) || math.IsNaN(s) {
			return 0, false
		}
		if s > 1e9 { // far beyond any cap; keeps the Duration from overflowing
			s = 1e9
		}
		return seconds(s), true
	}
	if !strings.HasSuffix(v, "GMT") && !isASCTime(v) {
		return 0, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

func isDecimal(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

// isASCTime accepts asctime dates, which carry no zone name but are GMT by definition.
func isASCTime(s string) bool {
	_, err := time.Parse(time.ANSIC, s)
	return err == nil
}

// action is what to do after an attempt.
type action int

const (
	actionReturn action = iota // a 2xx: the result
	actionRetry
	actionRaise
)

// decision is the outcome of decide.
type decision struct {
	action      action
	delay       time.Duration
	deadlineHit bool
	reason      string
	// budgetDenied: the policy said retry and the retry budget refused (BUDGET-2)
	budgetDenied bool
}

// outcome describes one attempt: an HTTP status (with its Retry-After), or a transport error kind.
type outcome struct {
	status     int
	errKind    ErrorKind
	retryAfter string
	hasRA      bool
}

// decide is the retry rule (RETRY-1 … RETRY-6). attempts counts attempts made so far,
// elapsed is the time since the call started.
func (p *policy) decide(o outcome, attempts int, elapsed time.Duration, rand float64, now time.Time) decision {
	if o.errKind == "" && o.status >= 200 && o.status <= 299 {
		return decision{action: actionReturn, reason: "success"}
	}
	if o.errKind == ErrorTimeout && p.deadline > 0 && elapsed >= p.deadline {
		// The attempt's bound was the deadline, so the deadline stopped the call (TIMEOUT-2).
		return decision{action: actionRaise, deadlineHit: true, reason: "the timeout reached the deadline"}
	}
	if o.errKind == ErrorTooLarge {
		return decision{action: actionRaise, reason: "a response past the size cap is not retried"}
	}
	if o.errKind != "" {
		if !p.retryErrors[o.errKind] {
			return decision{action: actionRaise, reason: string(o.errKind) + " error is not retried"}
		}
	} else if !p.retryStatuses[o.status] {
		return decision{action: actionRaise, reason: "status " + strconv.Itoa(o.status) + " is not retried"}
	}
	if attempts > p.maxRetries {
		return decision{action: actionRaise, reason: "retries exhausted"}
	}
	delay := p.backoff(attempts, rand)
	if o.errKind == "" && o.hasRA {
		if wait, ok := parseRetryAfter(o.retryAfter, now); ok {
			delay = min(wait, p.retryAfterCap)
		}
	}
	if p.deadline > 0 && elapsed+delay >= p.deadline {
		return decision{action: actionRaise, deadlineHit: true, reason: "the next retry would pass the deadline"}
	}
	return decision{action: actionRetry, delay: delay, reason: "retrying"}
}
