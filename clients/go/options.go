package eas

import (
	"log/slog"
	"net/http"
	"time"
)

// DefaultConcurrency is PredictMany's concurrency unless WithConcurrency says otherwise.
const DefaultConcurrency = 16

// Option configures a Client; invalid values make NewClient return a ConfigError.
type Option func(*config)

type config struct {
	serviceName      string
	timeout          time.Duration
	connectTimeout   time.Duration
	policy           policy
	signature        bool
	direct           bool
	headers          map[string]string
	httpClient       *http.Client
	userAgent        string
	logger           *slog.Logger
	rand             func() float64
	clock            func() time.Time
	discoveryRefresh time.Duration
	ejectFor         time.Duration
	concurrency      int
	maxResponseBytes int64        // 0: no cap
	budget           *RetryBudget // nil: no retry budget
	adaptive         AdaptiveConcurrency
	problems         []error
}

func defaultConfig() config {
	return config{
		timeout:          30 * time.Second,
		connectTimeout:   5 * time.Second,
		policy:           defaultPolicy(),
		headers:          map[string]string{},
		userAgent:        defaultUserAgent(),
		discoveryRefresh: 3 * time.Second,
		ejectFor:         5 * time.Second,
		concurrency:      DefaultConcurrency,
		maxResponseBytes: DefaultMaxResponseBytes,
		budget:           &RetryBudget{Ratio: DefaultBudgetRatio, MinPerSecond: DefaultBudgetMinPerSecond},
		adaptive:         defaultAdaptive(),
	}
}

func defaultAdaptive() AdaptiveConcurrency {
	a, _ := AdaptiveConcurrency{}.resolved()
	return a
}

func (c *config) problem(format string, args ...any) {
	c.problems = append(c.problems, configError(format, args...))
}

// WithServiceName names the service when the endpoint is a base URL (URL-2).
func WithServiceName(name string) Option { return func(c *config) { c.serviceName = name } }

// WithTimeout bounds each attempt in total, from sending to the last byte of the answer
// (default 30 s, TIMEOUT-1): not per read, so a peer dripping bytes cannot stretch it.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.problem("WithTimeout(%v) must be positive", d)
		}
		c.timeout = d
	}
}

// WithConnectTimeout bounds connection setup (default 5 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.problem("WithConnectTimeout(%v) must be positive", d)
		}
		c.connectTimeout = d
	}
}

// WithMaxRetries sets the retries after the first attempt (default 3; 0 disables retries).
func WithMaxRetries(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.problem("WithMaxRetries(%d) must be 0 or more", n)
		}
		c.policy.maxRetries = n
	}
}

// WithDeadline bounds a whole call including retries and waits (default none, RETRY-6).
func WithDeadline(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.problem("WithDeadline(%v) must be positive", d)
		}
		c.policy.deadline = d
	}
}

// WithBackoff sets the full-jitter backoff base and ceiling (defaults 100 ms and 5 s).
func WithBackoff(base, maximum time.Duration) Option {
	return func(c *config) {
		if base < 0 || maximum < 0 {
			c.problem("WithBackoff(%v, %v) must not be negative", base, maximum)
		}
		c.policy.backoffBase, c.policy.backoffMax = base, maximum
	}
}

// WithRetryAfterCap caps a server's Retry-After wait (default 30 s).
func WithRetryAfterCap(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.problem("WithRetryAfterCap(%v) must not be negative", d)
		}
		c.policy.retryAfterCap = d
	}
}

// WithRetryStatuses replaces the retried statuses (default 408, 429, 450, 502, 503, 504).
func WithRetryStatuses(statuses ...int) Option {
	return func(c *config) {
		c.policy.retryStatuses = map[int]bool{}
		for _, s := range statuses {
			if s < 100 || s > 599 || (s >= 200 && s <= 299) {
				c.problem("WithRetryStatuses: %d is not a retryable HTTP status", s)
			}
			c.policy.retryStatuses[s] = true
		}
	}
}

// WithRetryErrors replaces the retried transport error kinds (default connect and reset;
// add ErrorTimeout only for idempotent services).
func WithRetryErrors(kinds ...ErrorKind) Option {
	return func(c *config) {
		c.policy.retryErrors = map[ErrorKind]bool{}
		for _, k := range kinds {
			if k != ErrorConnect && k != ErrorReset && k != ErrorTimeout {
				c.problem("WithRetryErrors: %q is not one of connect, reset, timeout", k)
			}
			c.policy.retryErrors[k] = true
		}
	}
}

// WithSignature switches to signed authentication (AUTH-2): every attempt carries Date,
// Content-MD5 and an HMAC-SHA1 signature instead of the raw token.
func WithSignature() Option { return func(c *config) { c.signature = true } }

// WithDirect turns on direct (VPC) mode: the endpoint names the discovery server and calls
// go straight to the service's instances (DISC-*).
func WithDirect() Option { return func(c *config) { c.direct = true } }

// WithDiscoveryRefresh sets how old the instance list may get (default 3 s).
func WithDiscoveryRefresh(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.problem("WithDiscoveryRefresh(%v) must not be negative", d)
		}
		c.discoveryRefresh = d
	}
}

// WithEjectFor sets the first cool-off of an instance that failed to connect (default 5 s).
func WithEjectFor(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.problem("WithEjectFor(%v) must not be negative", d)
		}
		c.ejectFor = d
	}
}

// WithHeader adds a header to every request; it replaces a default of the same name.
func WithHeader(name, value string) Option { return func(c *config) { c.headers[name] = value } }

// WithHTTPClient sends through hc instead of the client's own tuned transport. The client
// then leaves hc's redirect policy, pool and Close to its owner, and cannot resend a request
// whose kept-alive connection the server closed on a fresh connection of its own (CONN-1):
// such a failure is an ordinary ReadError.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.problem("WithHTTPClient(nil): pass an *http.Client or leave the option out")
		}
		c.httpClient = hc
	}
}

// WithUserAgent names the caller's application ("my-app/1.2"): it is appended to the client's
// own User-Agent after one space (HDR-1), so a server still sees which client sent the request.
// An empty value, or one with a control or non-ASCII character, is a ConfigError from NewClient.
func WithUserAgent(ua string) Option {
	return func(c *config) {
		if msg := checkUserAgent(ua); msg != "" {
			c.problem("%s", msg)
			return
		}
		c.userAgent = defaultUserAgent() + " " + ua
	}
}

// WithLogger logs every attempt at Debug (URL, attempt, status or error kind, decision);
// the token is never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithConcurrency sets PredictMany's default concurrency (default 16) and sizes the pool.
func WithConcurrency(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.problem("WithConcurrency(%d) must be at least 1", n)
		}
		c.concurrency = n
	}
}

// DefaultMaxResponseBytes is the default cap on one response body after decoding (LIMIT-1):
// 256 MiB, a float32 answer of 64 million values.
const DefaultMaxResponseBytes int64 = 256 << 20

// WithMaxResponseBytes caps the body read for one attempt, counted after gzip decoding
// (default DefaultMaxResponseBytes). A longer answer stops being read at the cap and fails
// with ErrResponseTooLarge, never retried; a body of exactly n bytes is accepted. n must be
// at least 1; WithNoResponseLimit turns the cap off.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) {
		if n < 1 {
			c.problem("WithMaxResponseBytes(%d) must be at least 1 byte; use WithNoResponseLimit for no cap", n)
		}
		c.maxResponseBytes = n
	}
}

// WithNoResponseLimit reads response bodies of any size (LIMIT-1's "no limit"); only for
// trusted services, since a huge or endless answer then holds the whole body in memory.
func WithNoResponseLimit() Option { return func(c *config) { c.maxResponseBytes = 0 } }

// WithRandom injects the jitter source, uniform in [0, 1) (for tests: func() float64 { return 0 }).
func WithRandom(r func() float64) Option { return func(c *config) { c.rand = r } }

// WithClock injects the wall clock used for signed Date headers and Retry-After dates.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }
