package eas

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// The back-pressure vectors (§14) and the scenario keys they add.
func init() {
	vectorHandlers["retry_budget"] = vecRetryBudget
	vectorHandlers["adaptive_limit"] = vecAdaptiveLimit
}

// specBudget maps a spec retry_budget (null, or an object with optional ratio and min_per_s)
// to WithRetryBudget's argument; absent keys take the defaults.
func specBudget(v any) (*RetryBudget, error) {
	if v == nil {
		return nil, nil
	}
	o := toObj(v)
	if err := o.only("retry_budget", "ratio", "min_per_s"); err != nil {
		return nil, err
	}
	b := &RetryBudget{Ratio: DefaultBudgetRatio, MinPerSecond: DefaultBudgetMinPerSecond}
	if o.has("ratio") {
		b.Ratio = o.num("ratio")
	}
	if o.has("min_per_s") {
		b.MinPerSecond = o.num("min_per_s")
	}
	return b, nil
}

// specAdaptive maps a spec AdaptiveConcurrency object; null latency_tolerance is Go's 0 and
// max_pause (seconds) is MaxPause's Duration.
func specAdaptive(o obj) (AdaptiveConcurrency, error) {
	if err := o.only("concurrency", "min", "max", "initial", "backoff", "latency_tolerance", "max_pause"); err != nil {
		return AdaptiveConcurrency{}, err
	}
	a := AdaptiveConcurrency{Min: o.int("min"), Max: o.int("max"), Initial: o.int("initial"), Backoff: o.num("backoff"),
		LatencyTolerance: o.num("latency_tolerance"), MaxPause: o.dur("max_pause")}
	for _, k := range []string{"min", "max", "initial", "backoff", "latency_tolerance", "max_pause"} {
		if !o.has(k) || o[k] == nil {
			switch k {
			case "min":
				a.Min = 0
			case "max":
				a.Max = 0
			case "initial":
				a.Initial = 0
			case "backoff":
				a.Backoff = 0
			case "latency_tolerance":
				a.LatencyTolerance = 0
			case "max_pause":
				a.MaxPause = 0
			}
		}
	}
	return a, nil
}

// specConcurrency maps a call's concurrency: "auto" and an object are AutoConcurrency (the
// object's settings go to the client, see batchClientOptions), an integer stays.
func specConcurrency(v any) int {
	switch x := v.(type) {
	case string:
		if x == "auto" {
			return AutoConcurrency
		}
	case map[string]any:
		return AutoConcurrency
	}
	return int(num(v))
}

// batchClientOptions turns a call's AdaptiveConcurrency object into the client option Go
// takes it as.
func batchClientOptions(in obj) ([]Option, error) {
	co := toObj(in["call"])
	m, ok := co["concurrency"].(map[string]any)
	if !ok {
		return nil, nil
	}
	a, err := specAdaptive(obj(m))
	if err != nil {
		return nil, err
	}
	return []Option{WithAdaptiveConcurrency(a)}, nil
}

// isCancellation checks an item's outcome is the caller's cancellation (ADAPT-6), not an EAS error.
func isCancellation(err error, token string) error {
	if err == nil || errors.Is(err, ErrEAS) || !errors.Is(err, context.Canceled) {
		return fmt.Errorf("want the context's cancellation error, got %v", err)
	}
	if len(token) >= minSearchedToken && strings.Contains(err.Error(), token) {
		return fmt.Errorf("the error shows the token")
	}
	return nil
}

func checkBudgetDenied(c *Client, want obj) error {
	if want.has("budget_denied") && c.RetryBudgetDenied() != int64(want.int("budget_denied")) {
		return fmt.Errorf("budget denied %d, want %d", c.RetryBudgetDenied(), want.int("budget_denied"))
	}
	return nil
}

// configErrorIs checks err is a ConfigError whose message contains want["message_contains"].
func configErrorIs(err error, want obj) error {
	if err := errorKindIs(err, mustStr(want, "error")); err != nil {
		return err
	}
	if m, ok := want.str("message_contains"); ok && !strings.Contains(err.Error(), m) {
		return fmt.Errorf("%q does not contain %q", err.Error(), m)
	}
	return nil
}

// newBPClient builds a client for option checks; nothing is sent.
func newBPClient(opts ...Option) (*Client, error) {
	return NewClient("http://127.0.0.1:9", "", append([]Option{WithServiceName("demo")}, opts...)...)
}

func vecRetryBudget(in, want obj, _ specCase) error {
	if err := in.only("input", "budget", "start", "events"); err != nil {
		return err
	}
	b, err := specBudget(in["budget"])
	if err != nil {
		return err
	}
	c, err := newBPClient(WithRetryBudget(b))
	if want.has("error") {
		return configErrorIs(err, want)
	}
	if err != nil {
		return err
	}
	c.Close()
	if err := want.only("expect", "steps", "denied"); err != nil {
		return err
	}
	bucket := newTokenBucket(*b, in.num("start"))
	steps := want.list("steps")
	events := in.list("events")
	if len(steps) != len(events) {
		return fmt.Errorf("%d steps for %d events", len(steps), len(events))
	}
	for i, e := range events {
		eo, w := toObj(e), toObj(steps[i])
		if eo.has("first") {
			bucket.deposit(eo.num("first"))
		} else {
			allowed := bucket.spend(eo.num("retry"))
			if want, _ := w["allowed"].(bool); allowed != want {
				return fmt.Errorf("event %d: allowed %t, want %t", i, allowed, want)
			}
		}
		if bucket.balance != w.num("balance") {
			return fmt.Errorf("event %d: balance %v, want %v", i, bucket.balance, w["balance"])
		}
	}
	if bucket.denied != int64(want.int("denied")) {
		return fmt.Errorf("denied %d, want %d", bucket.denied, want.int("denied"))
	}
	return nil
}

func vecAdaptiveLimit(in, want obj, _ specCase) error {
	if err := in.only("input", "config", "events", "pause", "concurrency"); err != nil {
		return err
	}
	if in.has("concurrency") {
		return adaptiveConcurrencyArg(in["concurrency"], want)
	}
	a, err := specAdaptive(toObj(in["config"]))
	if err != nil {
		return err
	}
	c, err := newBPClient(WithAdaptiveConcurrency(a))
	if want.has("error") {
		return configErrorIs(err, want)
	}
	if err != nil {
		return err
	}
	c.Close()
	pause := toObj(in["pause"])
	if err := pause.only("pause", "backoff_base", "backoff_max", "retry_after_cap"); err != nil {
		return err
	}
	p := defaultPolicy()
	if pause.has("backoff_base") {
		p.backoffBase = pause.dur("backoff_base")
	}
	if pause.has("backoff_max") {
		p.backoffMax = pause.dur("backoff_max")
	}
	if pause.has("retry_after_cap") {
		p.retryAfterCap = pause.dur("retry_after_cap")
	}
	l := newLimiter(c.cfg.adaptive, p)
	steps := want.list("steps")
	events := in.list("events")
	if len(steps) != len(events) {
		return fmt.Errorf("%d steps for %d events", len(steps), len(events))
	}
	for i, e := range events {
		eo, w := toObj(e), toObj(steps[i])
		switch {
		case eo.has("acquire"):
			granted, wait := l.acquire(eo.num("acquire"))
			if g, _ := w["granted"].(bool); g != granted {
				return fmt.Errorf("event %d: granted %t, want %t", i, granted, g)
			}
			if math.Abs(wait-w.num("wait")) > 1e-9 && !(wait == 0 && !w.has("wait")) {
				return fmt.Errorf("event %d: wait %v, want %v", i, wait, w["wait"])
			}
		case eo.has("release"):
			l.release()
		case eo.has("observe"):
			o := toObj(eo["observe"])
			if err := o.only("observe", "latency", "epoch", "now", "status", "error", "rand", "retry_after"); err != nil {
				return err
			}
			s := sample{status: o.int("status"), latency: o.num("latency"), epochSent: o.int("epoch")}
			if k, ok := o.str("error"); ok {
				s = sample{errKind: ErrorKind(k), latency: o.num("latency"), epochSent: o.int("epoch")}
			}
			if o.has("retry_after") {
				s.retryAfter, s.hasRA = o.num("retry_after"), true
			}
			r := 0.0
			if o.has("rand") {
				r = o.num("rand")
			}
			l.observe(s, o.num("now"), r)
		default:
			return fmt.Errorf("event %d: unknown %v", i, eo)
		}
		if w.has("in_flight") && l.inFlight != w.int("in_flight") {
			return fmt.Errorf("event %d: in_flight %d, want %d", i, l.inFlight, w.int("in_flight"))
		}
		if w.has("limit") && l.limit != w.num("limit") {
			return fmt.Errorf("event %d: limit %v, want %v", i, l.limit, w["limit"])
		}
		if w.has("epoch") && l.epoch != w.int("epoch") {
			return fmt.Errorf("event %d: epoch %d, want %d", i, l.epoch, w.int("epoch"))
		}
	}
	return nil
}

// adaptiveConcurrencyArg checks how a predict_many concurrency argument is read (ADAPT-1).
func adaptiveConcurrencyArg(v any, want obj) error {
	conc := specConcurrency(v)
	if want.has("error") {
		_, err := newBPClient()
		if err != nil {
			return err
		}
		c, _ := newBPClient()
		defer c.Close()
		results, failure := c.batch(context.Background(), []Payload{Bytes(nil)}, conc, false)
		if failure == nil || results[0].Err == nil {
			return fmt.Errorf("concurrency %v was accepted", v)
		}
		return configErrorIs(failure, want)
	}
	if want.has("fixed") {
		if conc != want.int("fixed") {
			return fmt.Errorf("concurrency %v read as %d", v, conc)
		}
		return nil
	}
	if conc != AutoConcurrency {
		return fmt.Errorf("concurrency %v is not AutoConcurrency", v)
	}
	a := defaultConfig().adaptive
	w := toObj(want["adaptive"])
	if a.Min != w.int("min") || a.Max != w.int("max") || a.Initial != w.int("initial") || a.Backoff != w.num("backoff") {
		return fmt.Errorf("auto is %+v, want %v", a, w)
	}
	if w["latency_tolerance"] != nil || a.LatencyTolerance != 0 {
		return fmt.Errorf("latency_tolerance %v, want %v", a.LatencyTolerance, w["latency_tolerance"])
	}
	if !w.has("max_pause") || a.MaxPause != w.dur("max_pause") {
		return fmt.Errorf("max_pause %v, want %v s", a.MaxPause, w["max_pause"])
	}
	return nil
}
