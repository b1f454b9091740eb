package eas

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// errPutBack ends a dispatch whose attempt the service refused with 450 or 429 (ADAPT-5): the
// batch sends the item again when its limiter allows. It never reaches a caller.
var errPutBack = errors.New("eas: put back")

// adaptiveBatch is the state an AutoConcurrency batch shares between its dispatcher and its
// dispatches, all under mu.
type adaptiveBatch struct {
	c      *Client
	mu     sync.Mutex
	lim    *limiter
	wake   chan struct{} // something changed: a release, an observe, an item put back or finished
	first  []float64     // each item's first dispatch, client monotonic seconds; NaN before it
	last   []*Error      // the refusal that put an item back, for its deadline error
	back   []int         // items put back, oldest (lowest index, so first dispatched) first
	failed error         // the first failure, for PredictAll
}

// dispatch is one send of one item; Client.do reports its attempts through it.
type dispatch struct {
	b       *adaptiveBatch
	item    int
	deposit bool // the item's first dispatch: its call deposits in the retry budget
}

func (d *dispatch) deposits() bool { return d.deposit }

func (d *dispatch) started() time.Time {
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	return d.b.c.created.Add(seconds(d.b.first[d.item]))
}

func (d *dispatch) epoch() int {
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	return d.b.lim.epoch
}

// observe reports an attempt to the limiter (ADAPT-2) and tells whether it was a 450 or 429
// refusal, which ends the dispatch at once.
func (d *dispatch) observe(o outcome, latency time.Duration, epochSent int, wall time.Time) bool {
	s := sample{status: o.status, errKind: o.errKind, latency: latency.Seconds(), epochSent: epochSent}
	if o.errKind == "" && o.hasRA {
		if w, ok := parseRetryAfter(o.retryAfter, wall); ok {
			s.retryAfter, s.hasRA = w.Seconds(), true
		}
	}
	b := d.b
	r := b.c.cfg.rand()
	b.mu.Lock()
	b.lim.observe(s, b.c.monoSeconds(), r)
	b.mu.Unlock()
	b.signal()
	return o.errKind == "" && (o.status == 450 || o.status == 429)
}

// putBack decides a refused item's fate: errPutBack, or a DeadlineExceededError when the
// limiter's pause ends at or past the item's deadline (ADAPT-5).
func (d *dispatch) putBack(last *Error, attempts int, deadline time.Duration) error {
	b := d.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last[d.item] = last
	if deadline > 0 && math.Max(b.c.monoSeconds(), b.lim.pauseUntil) >= b.first[d.item]+deadline.Seconds() {
		return b.deadlineError(last, attempts, deadline)
	}
	return errPutBack
}

func (b *adaptiveBatch) deadlineError(last *Error, attempts int, deadline time.Duration) *Error {
	return &Error{Kind: KindDeadlineExceeded, Status: last.Status, RequestID: last.RequestID, Attempts: attempts,
		Body: last.Body, Endpoint: b.c.ep.url(), Err: last,
		Message: fmt.Sprintf("the call's deadline of %v passes while the service is busy; last error: %s", deadline, last.Message)}
}

// expire fails every put-back item whose deadline passed while it waited for a slot, unsent
// (ADAPT-5), and tells whether there was one. Called with mu held.
func (b *adaptiveBatch) expire(now float64, deadline time.Duration, results []Result, done []bool) bool {
	kept := b.back[:0]
	for _, i := range b.back {
		if now < b.first[i]+deadline.Seconds() {
			kept = append(kept, i)
			continue
		}
		err := b.deadlineError(b.last[i], b.last[i].Attempts, deadline)
		results[i].Err, done[i] = err, true
		if b.failed == nil {
			b.failed = err
		}
	}
	expired := len(kept) < len(b.back)
	b.back = kept
	return expired
}

func (b *adaptiveBatch) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// adaptiveBatch runs payloads under the client's adaptive limiter (ADAPT-5, ADAPT-6).
func (c *Client) adaptiveBatch(ctx context.Context, payloads []Payload, stopOnError bool) ([]Result, error) {
	n := len(payloads)
	results := make([]Result, n)
	done := make([]bool, n)
	b := &adaptiveBatch{c: c, lim: newLimiter(c.cfg.adaptive, c.cfg.policy), wake: make(chan struct{}, 1),
		first: make([]float64, n), last: make([]*Error, n)}
	for i := range b.first {
		b.first[i] = math.NaN()
	}
	deadline := c.cfg.policy.deadline
	var wg sync.WaitGroup
	next := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		b.mu.Lock()
		if ctx.Err() != nil || (stopOnError && b.failed != nil) {
			b.mu.Unlock()
			break
		}
		item, putBack := -1, len(b.back) > 0
		if putBack {
			item = b.back[0]
		} else if next < n {
			item = next
		}
		if item < 0 && b.lim.inFlight == 0 {
			b.mu.Unlock()
			break
		}
		wait := 0.0
		if item >= 0 {
			now := c.monoSeconds()
			if putBack && deadline > 0 && b.expire(now, deadline, results, done) {
				b.mu.Unlock()
				continue
			}
			granted, w := b.lim.acquire(now)
			if granted {
				dep := false
				if putBack {
					b.back = b.back[1:]
				} else {
					next++
					b.first[item], dep = now, true
				}
				b.mu.Unlock()
				wg.Add(1)
				go func(d *dispatch) {
					defer wg.Done()
					req := Request{Body: payloads[d.item], hook: d}
					resp, err := c.do(ctx, &req)
					b.mu.Lock()
					b.lim.release()
					switch {
					case err == errPutBack:
						at := sort.SearchInts(b.back, d.item)
						b.back = append(b.back, 0)
						copy(b.back[at+1:], b.back[at:])
						b.back[at] = d.item
					case err != nil:
						results[d.item].Err, done[d.item] = err, true
						if b.failed == nil && ctx.Err() == nil {
							b.failed = err
						}
					default:
						results[d.item].Body, done[d.item] = resp.Body, true
					}
					b.mu.Unlock()
					b.signal()
				}(&dispatch{b: b, item: item, deposit: dep})
				continue
			}
			wait = w
			if putBack && deadline > 0 {
				// Wake for the first waiting item's deadline too, so it fails on time.
				for _, i := range b.back {
					if left := b.first[i] + deadline.Seconds() - now; wait == 0 || left < wait {
						wait = left
					}
				}
			}
		}
		b.mu.Unlock()
		var tick <-chan time.Time
		if wait > 0 {
			timer.Reset(seconds(wait))
			tick = timer.C
		}
		select {
		case <-b.wake:
		case <-tick:
		case <-ctx.Done():
		}
		if wait > 0 && !timer.Stop() {
			select { // drain a fired timer so the next Reset starts clean
			case <-timer.C:
			default:
			}
		}
	}
	wg.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		// ADAPT-6: every item not finished is reported as cancelled, never lost.
		for i := range results {
			if !done[i] {
				results[i].Err = c.contextError(ctxErr, 0, nil, nil)
			}
		}
	}
	return results, b.failed
}
