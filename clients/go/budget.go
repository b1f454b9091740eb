package eas

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// RetryBudget bounds a client's retries to a share of its calls (BUDGET-1): a token bucket
// that each call's first attempt fills by Ratio and time fills by MinPerSecond, up to ten
// seconds of MinPerSecond (at least 1); every retry takes one token. Unlike
// AdaptiveConcurrency, zero values are taken literally: Ratio 0 means "the floor alone".
//
//	eas.NewClient(url, token, eas.WithRetryBudget(&eas.RetryBudget{Ratio: 0.2, MinPerSecond: 5}))
type RetryBudget struct {
	Ratio        float64 // tokens a call's first attempt deposits, in [0, 1] (default 0.1)
	MinPerSecond float64 // tokens a second, > 0 (default 10)
}

// Retry budget defaults (ADAPT-7).
const (
	DefaultBudgetRatio        = 0.1
	DefaultBudgetMinPerSecond = 10.0
	budgetWindowS             = 10.0 // capacity = max(1, MinPerSecond × window)
)

func (b *RetryBudget) check() error {
	if math.IsNaN(b.Ratio) || b.Ratio < 0 || b.Ratio > 1 {
		return configError("WithRetryBudget: ratio must be a number in [0, 1], got %v", b.Ratio)
	}
	if math.IsNaN(b.MinPerSecond) || math.IsInf(b.MinPerSecond, 0) || b.MinPerSecond <= 0 {
		return configError("WithRetryBudget: min_per_s must be a finite number > 0 (MinPerSecond), got %v; "+
			"pass WithRetryBudget(nil) to turn the budget off", b.MinPerSecond)
	}
	return nil
}

// WithRetryBudget sets the client's retry budget (default Ratio 0.1, MinPerSecond 10);
// nil turns it off, so retries follow WithMaxRetries alone. Every call and every copy of the
// client's goroutines share it; RetryBudgetDenied counts the retries it refused.
func WithRetryBudget(b *RetryBudget) Option {
	return func(c *config) {
		if b == nil {
			c.budget = nil
			return
		}
		if err := b.check(); err != nil {
			c.problems = append(c.problems, err)
		}
		copied := *b
		c.budget = &copied
	}
}

// tokenBucket is BUDGET-1's state machine: pure, times are seconds on a monotonic clock.
type tokenBucket struct {
	ratio, perS, capacity float64
	balance, t            float64
	denied                int64
}

func newTokenBucket(b RetryBudget, now float64) tokenBucket {
	capacity := math.Max(1, b.MinPerSecond*budgetWindowS)
	return tokenBucket{ratio: b.Ratio, perS: b.MinPerSecond, capacity: capacity, balance: capacity, t: now}
}

func (b *tokenBucket) refill(now float64) {
	if now > b.t {
		b.balance = math.Min(b.capacity, b.balance+b.perS*(now-b.t))
		b.t = now
	}
}

// deposit is a call's first attempt.
func (b *tokenBucket) deposit(now float64) {
	b.refill(now)
	b.balance = math.Min(b.capacity, b.balance+b.ratio)
}

// spend asks for one retry; false counts a refusal.
func (b *tokenBucket) spend(now float64) bool {
	b.refill(now)
	if b.balance >= 1-1e-9 {
		b.balance = math.Max(0, b.balance-1)
		return true
	}
	b.denied++
	return false
}

// sharedBudget is the client's bucket behind a lock, with the rate-limited warning's clock.
type sharedBudget struct {
	mu       sync.Mutex
	bucket   tokenBucket
	cfg      RetryBudget
	warnedAt float64 // monotonic seconds of the last WARNING; -inf before the first
}

func newSharedBudget(b RetryBudget, now float64) *sharedBudget {
	return &sharedBudget{bucket: newTokenBucket(b, now), cfg: b, warnedAt: math.Inf(-1)}
}

func (s *sharedBudget) deposit(now float64) {
	s.mu.Lock()
	s.bucket.deposit(now)
	s.mu.Unlock()
}

// spend asks for a retry; warn is true when a refusal should log its WARNING (at most once per 10 s).
func (s *sharedBudget) spend(now float64) (ok, warn bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bucket.spend(now) {
		return true, false
	}
	if now-s.warnedAt >= 10 {
		s.warnedAt = now
		return false, true
	}
	return false, false
}

func (s *sharedBudget) denied() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bucket.denied
}

// exhaustedSuffix ends the message of an error whose retry the budget refused (BUDGET-2).
func (s *sharedBudget) exhaustedSuffix() string {
	return fmt.Sprintf("; retry budget exhausted (retries are limited to %s%% of calls + %s/s; the service is failing most calls)",
		trimFloat(s.cfg.Ratio*100), trimFloat(s.cfg.MinPerSecond))
}

func trimFloat(f float64) string { return fmt.Sprintf("%g", f) }

// RetryBudgetDenied is how many retries the client's retry budget has refused so far
// (BUDGET-2); 0 with the budget off.
func (c *Client) RetryBudgetDenied() int64 {
	if c.budget == nil {
		return 0
	}
	return c.budget.denied()
}

// monoSeconds is the client's monotonic clock for the budget and the limiter.
func (c *Client) monoSeconds() float64 { return c.mono().Seconds() }

// spendBudget asks the budget for the retry d allows; a refusal makes the failure final.
func (c *Client) spendBudget(ctx context.Context, d decision) decision {
	ok, warn := c.budget.spend(c.monoSeconds())
	if ok {
		return d
	}
	if warn {
		c.logger.WarnContext(ctx, "eas retry budget exhausted: retries are refused until calls succeed again",
			"url", c.ep.url(), "ratio", c.budget.cfg.Ratio, "min_per_s", c.budget.cfg.MinPerSecond,
			"denied", c.RetryBudgetDenied())
	}
	return decision{action: actionRaise, reason: "retry budget exhausted", budgetDenied: true}
}
