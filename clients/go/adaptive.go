package eas

import (
	"math"
	"time"
)

// AutoConcurrency as PredictMany's concurrency runs the batch under an adaptive limiter
// (ADAPT-1): the in-flight count grows while calls succeed and is halved when the service
// answers 450, 429, 503, 504 or 408 or an attempt times out; items refused with 450 or 429
// wait and are sent again instead of failing. WithAdaptiveConcurrency tunes the limiter.
//
//	results := c.PredictMany(ctx, inputs, eas.AutoConcurrency)
//
// Its value is a sentinel far from any count, so a computed concurrency that went wrong
// (0, -1) stays a ConfigError instead of quietly turning adaptive.
const AutoConcurrency = -1 << 31

// AdaptiveConcurrency tunes the limiter AutoConcurrency batches run under (ADAPT-1). A zero
// field means its default: Min 1, Max 64, Initial min(Max, max(Min, 4)), Backoff 0.5,
// LatencyTolerance off (only the service's refusals and timeouts cut the limit), MaxPause 250 ms.
//
//	eas.WithAdaptiveConcurrency(eas.AdaptiveConcurrency{Max: 32, MaxPause: 500 * time.Millisecond})
type AdaptiveConcurrency struct {
	Min, Max int     // bounds of the in-flight limit, ≥ 1
	Initial  int     // the starting limit, in [Min, Max]
	Backoff  float64 // the factor a cut multiplies the limit by, in (0, 1)
	// LatencyTolerance > 1 also cuts on a success slower than LatencyTolerance × the fastest
	// recent latency (and by 5 ms or more); only for services whose latency is stable.
	LatencyTolerance float64
	// MaxPause caps the jittered pause a batch takes when the service refuses it even at Min
	// (ADAPT-4), below the client's WithBackoff maximum. It is short so that a batch sharing the
	// service with others, whose fair share is a slot or two, keeps probing instead of waiting
	// seconds while its neighbours take the freed slots; a Retry-After is still honoured in full.
	MaxPause time.Duration
}

// Adaptive limiter defaults (ADAPT-7).
const (
	DefaultAdaptiveMin      = 1
	DefaultAdaptiveMax      = 64 // EAS's default instance queue: more in flight from one batch only queues
	DefaultAdaptiveInitial  = 4
	DefaultAdaptiveBackoff  = 0.5
	DefaultAdaptiveMaxPause = 250 * time.Millisecond
	minQueueDelayS          = 0.005 // latency growth below this is noise, not a queue
	baselineDrift           = 0.001 // the baseline creeps up 0.1% a sample
)

// resolved fills the defaults and checks the values; the error names the fix.
func (a AdaptiveConcurrency) resolved() (AdaptiveConcurrency, error) {
	if a.Min == 0 {
		a.Min = DefaultAdaptiveMin
	}
	if a.Max == 0 {
		a.Max = DefaultAdaptiveMax
	}
	if a.Backoff == 0 {
		a.Backoff = DefaultAdaptiveBackoff
	}
	if a.MaxPause == 0 {
		a.MaxPause = DefaultAdaptiveMaxPause
	}
	if a.Min < 1 {
		return a, configError("AdaptiveConcurrency: min must be an integer >= 1, got %d (0 means the default, 1)", a.Min)
	}
	if a.Max < 1 {
		return a, configError("AdaptiveConcurrency: max must be an integer >= 1, got %d (0 means the default, 64)", a.Max)
	}
	if a.Max < a.Min {
		return a, configError("AdaptiveConcurrency: max (%d) is below min (%d); raise Max or lower Min", a.Max, a.Min)
	}
	if a.Initial == 0 {
		a.Initial = min(a.Max, max(a.Min, DefaultAdaptiveInitial))
	}
	if a.Initial < a.Min || a.Initial > a.Max {
		return a, configError("AdaptiveConcurrency: initial must be an integer between min (%d) and max (%d), got %d", a.Min, a.Max, a.Initial)
	}
	if math.IsNaN(a.Backoff) || a.Backoff <= 0 || a.Backoff >= 1 {
		return a, configError("AdaptiveConcurrency: backoff must be a number in (0, 1), got %v (0.5 halves the limit on a refusal)", a.Backoff)
	}
	if a.LatencyTolerance != 0 && (math.IsNaN(a.LatencyTolerance) || a.LatencyTolerance <= 1) {
		return a, configError("AdaptiveConcurrency: latency_tolerance must be a number > 1, got %v (0 turns the latency signal off)", a.LatencyTolerance)
	}
	if a.MaxPause < 0 {
		return a, configError("AdaptiveConcurrency: max_pause must be a number > 0, got %v (0 means the default, %v)", a.MaxPause, DefaultAdaptiveMaxPause)
	}
	return a, nil
}

// WithAdaptiveConcurrency tunes the limiter of PredictMany(…, AutoConcurrency) and
// PredictAll(…, AutoConcurrency); a bad value is NewClient's ConfigError.
//
//	eas.WithAdaptiveConcurrency(eas.AdaptiveConcurrency{Max: 32})
func WithAdaptiveConcurrency(a AdaptiveConcurrency) Option {
	return func(c *config) {
		r, err := a.resolved()
		if err != nil {
			c.problems = append(c.problems, err)
		}
		c.adaptive = r
	}
}

// limiter is ADAPT-2's state machine: pure, with time (seconds) and jitter passed in.
type limiter struct {
	cfg                            AdaptiveConcurrency
	backoffBase, backoffMax, raCap float64 // the client's RETRY-4/RETRY-5 settings, seconds
	maxPause                       float64 // cfg.MaxPause in seconds

	limit       float64
	inFlight    int
	epoch       int
	slowStart   bool
	baseline    float64
	hasBaseline bool
	pauseUntil  float64
	streak      int
}

// newLimiter starts a limiter from resolved settings.
func newLimiter(a AdaptiveConcurrency, p policy) *limiter {
	return &limiter{cfg: a, backoffBase: p.backoffBase.Seconds(), backoffMax: p.backoffMax.Seconds(),
		raCap: p.retryAfterCap.Seconds(), maxPause: a.MaxPause.Seconds(), limit: float64(a.Initial), slowStart: true}
}

func (l *limiter) allowed() int {
	return max(l.cfg.Min, int(math.Floor(l.limit+1e-9)))
}

// acquire asks for a slot at now; when refused, wait > 0 is the pause left (0: wait for a release).
func (l *limiter) acquire(now float64) (granted bool, wait float64) {
	if now < l.pauseUntil {
		return false, l.pauseUntil - now
	}
	if l.inFlight >= l.allowed() {
		return false, 0
	}
	l.inFlight++
	return true, 0
}

func (l *limiter) release() { l.inFlight = max(0, l.inFlight-1) }

// sample is one observed attempt (ADAPT-2): a status or a transport error kind.
type sample struct {
	status     int
	errKind    ErrorKind
	latency    float64
	epochSent  int
	retryAfter float64
	hasRA      bool
}

// observe applies one attempt's outcome at now; rand is the jitter for a pause (ADAPT-4).
func (l *limiter) observe(s sample, now, rand float64) {
	good, congested, refused := false, false, false // refused: a status or timeout, not latency
	switch {
	case s.errKind == ErrorTimeout:
		congested, refused = true, true
	case s.errKind != "":
	case s.status >= 200 && s.status <= 299:
		if l.cfg.LatencyTolerance > 0 && l.hasBaseline &&
			s.latency > l.cfg.LatencyTolerance*l.baseline && s.latency-l.baseline >= minQueueDelayS {
			congested = true
		} else {
			good = true
		}
		if !l.hasBaseline {
			l.baseline, l.hasBaseline = s.latency, true
		} else {
			l.baseline = math.Min(s.latency, l.baseline*(1+baselineDrift))
		}
	case s.status == 429 || s.status == 450 || s.status == 408 || s.status == 503 || s.status == 504:
		congested, refused = true, true
	}
	if s.hasRA && s.errKind == "" && (s.status == 429 || s.status == 450 || s.status == 503) {
		l.pauseUntil = math.Max(l.pauseUntil, now+math.Min(s.retryAfter, l.raCap))
	}
	current := s.epochSent == l.epoch
	switch {
	case good:
		l.streak = 0
		if current && 2*l.inFlight >= l.allowed() {
			if l.slowStart {
				l.limit = math.Min(float64(l.cfg.Max), l.limit+1)
			} else {
				l.limit = math.Min(float64(l.cfg.Max), l.limit+1/l.limit)
			}
		}
	case congested && current:
		if refused && l.allowed() <= l.cfg.Min {
			l.streak++
			ceiling := math.Min(l.maxPause, l.backoffMax)
			if exp := float64(l.streak - 1); exp < 1024 {
				ceiling = math.Min(ceiling, l.backoffBase*math.Pow(2, exp))
			}
			l.pauseUntil = math.Max(l.pauseUntil, now+rand*ceiling)
		}
		l.limit = math.Max(float64(l.cfg.Min), l.limit*l.cfg.Backoff)
		l.epoch++
		l.slowStart = false
	}
}
