package eas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// instance is one service instance from discovery (DISC-2).
type instance struct {
	ip     string
	port   int
	weight int
}

func (i instance) key() string { return i.ip + ":" + strconv.Itoa(i.port) }

// hostPort is the address to dial, with IPv6 in brackets.
func (i instance) hostPort() string {
	if strings.Contains(i.ip, ":") {
		return "[" + i.ip + "]:" + strconv.Itoa(i.port)
	}
	return i.key()
}

func discoveryError(format string, args ...any) *Error {
	return newError(KindDiscovery, format, args...)
}

// parseDiscovery reads {"endpoints": {"items": [{"ip", "port", "weight"}, …]}} (DISC-2).
// Weight-0 items are dropped; anything malformed, or no usable item, is a DiscoveryError.
func parseDiscovery(body []byte, service string) ([]instance, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return nil, discoveryError("the discovery answer for %q is not JSON; check that the endpoint names the discovery server", service)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, discoveryError("the discovery answer for %q is not a JSON object", service)
	}
	eps, ok := top["endpoints"].(map[string]any)
	if !ok {
		return nil, discoveryError("the discovery answer for %q has no \"endpoints\" object", service)
	}
	items, ok := eps["items"].([]any)
	if !ok {
		return nil, discoveryError("the discovery answer for %q has no \"endpoints.items\" list", service)
	}
	var out []instance
	for i, raw := range items {
		where := fmt.Sprintf("discovery item %d of %q", i, service)
		item, ok := raw.(map[string]any)
		if !ok {
			return nil, discoveryError("%s is not an object", where)
		}
		ip, ok := item["ip"].(string)
		if !ok || ip == "" || strings.ContainsFunc(ip, func(r rune) bool {
			return r <= ' ' || r == 0x7f || strings.ContainsRune("/?#@", r)
		}) {
			return nil, discoveryError("%s has an invalid ip %v", where, item["ip"])
		}
		port, ok := jsonInt(item["port"])
		if !ok || port < 1 || port > 65535 {
			return nil, discoveryError("%s has an invalid port %v", where, item["port"])
		}
		weight := int64(100)
		if w, present := item["weight"]; present {
			if weight, ok = jsonInt(w); !ok || weight < 0 || weight > math.MaxInt32 {
				return nil, discoveryError("%s has an invalid weight %v", where, w)
			}
		}
		if weight > 0 {
			out = append(out, instance{ip: ip, port: int(port), weight: int(weight)})
		}
	}
	if len(out) == 0 {
		return nil, discoveryError("discovery lists no instance with a positive weight for %q; check that the service is running", service)
	}
	return out, nil
}

// jsonInt accepts a JSON integer (not a float, string or bool).
func jsonInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return 0, false
	}
	x, err := n.Int64()
	return x, err == nil
}

// maxEjectDoublings caps the cool-off at eject_for × 2^4 (DISC-5).
const maxEjectDoublings = 4

// balancer is smooth weighted round robin with cool-offs (DISC-4, DISC-5). Not safe for
// concurrent use; the caller locks.
type balancer struct {
	ejectFor  time.Duration
	instances []instance
	score     map[string]int
	downUntil map[string]time.Duration // on the caller's monotonic clock
	failures  map[string]int
}

func newBalancer(ejectFor time.Duration) *balancer {
	return &balancer{ejectFor: ejectFor, score: map[string]int{}, downUntil: map[string]time.Duration{}, failures: map[string]int{}}
}

func sameSet(a, b []instance) bool {
	set := map[instance]bool{}
	for _, x := range a {
		set[x] = true
	}
	other := map[instance]bool{}
	for _, x := range b {
		if !set[x] {
			return false
		}
		other[x] = true
	}
	return len(set) == len(other)
}

// update replaces the list; scores restart only when the set changes, cool-offs of
// instances that stay are kept (DISC-6).
func (b *balancer) update(list []instance) {
	if sameSet(list, b.instances) {
		b.instances = list
		return
	}
	b.instances = list
	keep := map[string]bool{}
	b.score = map[string]int{}
	for _, x := range list {
		keep[x.key()] = true
	}
	for k := range b.downUntil {
		if !keep[k] {
			delete(b.downUntil, k)
		}
	}
	for k := range b.failures {
		if !keep[k] {
			delete(b.failures, k)
		}
	}
}

// pick chooses the next instance at now; exclude ("" for none) is the key the previous
// attempt used, avoided while another instance exists.
func (b *balancer) pick(now time.Duration, exclude string) (instance, bool) {
	if len(b.instances) == 0 {
		return instance{}, false
	}
	var eligible []instance
	for _, x := range b.instances {
		if until, down := b.downUntil[x.key()]; (!down || until <= now) && x.key() != exclude {
			eligible = append(eligible, x)
		}
	}
	if len(eligible) == 0 {
		var best *instance
		for i, x := range b.instances {
			if x.key() == exclude {
				continue
			}
			if best == nil || b.downUntil[x.key()] < b.downUntil[best.key()] {
				best = &b.instances[i]
			}
		}
		if best == nil {
			return b.instances[0], true
		}
		return *best, true
	}
	total, best := 0, -1
	for i, x := range eligible {
		b.score[x.key()] += x.weight
		total += x.weight
		if best < 0 || b.score[x.key()] > b.score[eligible[best].key()] {
			best = i
		}
	}
	b.score[eligible[best].key()] -= total
	return eligible[best], true
}

// eject takes an instance out after a connect error or reset (DISC-5).
func (b *balancer) eject(key string, now time.Duration) {
	b.failures[key]++
	b.downUntil[key] = now + b.ejectFor*time.Duration(1<<min(b.failures[key]-1, maxEjectDoublings))
}

// succeed records an HTTP answer: the next failure starts a fresh cool-off.
func (b *balancer) succeed(key string) { delete(b.failures, key) }

// discoverer keeps the instance list of a direct-mode client.
type discoverer struct {
	c       *Client
	url     string
	service string
	refresh time.Duration

	fetchMu sync.Mutex // one fetch at a time; concurrent first calls share it
	mu      sync.Mutex // guards everything below
	bal     *balancer
	fetched time.Time // zero: never fetched successfully
	tried   time.Time // last refresh attempt

	// Background refreshes run under life, which Close cancels and then waits for (wg).
	life   context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed bool // guarded by mu: no refresh starts after Close
}

func newDiscoverer(c *Client) *discoverer {
	service, _, _ := strings.Cut(c.ep.service, "/")
	life, stop := context.WithCancel(context.Background())
	return &discoverer{
		life:    life,
		stop:    stop,
		c:       c,
		url:     c.ep.origin() + "/api/v1/servicediscovery/upstreams/" + escapePath(service),
		service: service,
		refresh: c.cfg.discoveryRefresh,
		bal:     newBalancer(c.cfg.ejectFor),
	}
}

// ready makes sure a list exists: the first call fetches it (others wait for that fetch).
// A list older than the period is refreshed in the background (DISC-6): the call that notices
// starts the fetch and goes on with the current list, as do all calls until the fetch is done;
// a failed refresh keeps the last good list.
func (d *discoverer) ready(ctx context.Context) error {
	d.mu.Lock()
	have, stale, closed := !d.fetched.IsZero(), d.c.now().Sub(d.tried) >= d.refresh, d.closed
	d.mu.Unlock()
	if have && !stale {
		return nil
	}
	if have {
		if closed || !d.fetchMu.TryLock() {
			return nil // a refresh is under way, or the client is closing
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			d.fetchMu.Unlock()
			return nil
		}
		d.tried = d.c.now() // later calls in this period do not start another refresh
		d.wg.Add(1)
		d.mu.Unlock()
		go func() {
			defer d.wg.Done()
			defer d.fetchMu.Unlock()
			if list, err := d.fetch(d.life); err == nil {
				d.apply(list)
			} else {
				d.c.log(d.life, "discovery refresh failed; keeping the last good list", "error", err.Error())
			}
		}()
		return nil
	}
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	d.mu.Lock()
	have = !d.fetched.IsZero()
	d.mu.Unlock()
	if have {
		return nil
	}
	list, err := d.fetch(ctx)
	if err != nil {
		return err
	}
	d.apply(list)
	return nil
}

// close stops a background refresh and waits for it, so Close leaves no goroutine behind.
func (d *discoverer) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.stop()
	d.wg.Wait()
}

func (d *discoverer) apply(list []instance) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bal.update(list)
	d.fetched = d.c.now()
}

// fetch sends the discovery request (DISC-1) and parses the answer (DISC-2).
func (d *discoverer) fetch(ctx context.Context) ([]instance, error) {
	d.mu.Lock()
	d.tried = d.c.now()
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.c.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return nil, discoveryError("cannot build the discovery request: %v", err)
	}
	req.Header.Set("User-Agent", d.c.cfg.userAgent)
	resp, err := d.c.http.Do(req)
	if err != nil {
		return nil, &Error{Kind: KindDiscovery, Endpoint: d.url, Err: newCause(err, ""),
			Message: fmt.Sprintf("cannot reach the discovery server for %q (%s); check the endpoint and the network", d.service, classify(err, ctx))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, &Error{Kind: KindDiscovery, Endpoint: d.url, Err: newCause(err, ""),
			Message: fmt.Sprintf("the discovery answer for %q broke off", d.service)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Kind: KindDiscovery, Endpoint: d.url, Status: resp.StatusCode,
			Message: fmt.Sprintf("the discovery server answered HTTP %d for %q; check the service name", resp.StatusCode, d.service)}
	}
	list, err := parseDiscovery(body, d.service)
	if err != nil {
		err.(*Error).Endpoint = d.url
	}
	return list, err
}

// pick chooses an instance for an attempt.
func (d *discoverer) pick(exclude string) (instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	inst, ok := d.bal.pick(d.c.mono(), exclude)
	if !ok {
		return instance{}, discoveryError("no instances to choose from for %q", d.service)
	}
	return inst, nil
}

// report feeds an attempt's outcome back: connect errors and resets eject, answers reset k.
func (d *discoverer) report(key string, kind ErrorKind, answered bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case answered:
		d.bal.succeed(key)
	case kind == ErrorConnect || kind == ErrorReset:
		d.bal.eject(key, d.c.mono())
	}
}
