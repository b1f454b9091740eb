package eas

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// vectorHandlers run one vector file's case against the pure functions.
var vectorHandlers = map[string]func(in, want obj, c specCase) error{
	"attempt_bounds":  vecAttemptBounds,
	"auth_hmac":       vecAuth,
	"header_checks":   vecHeaderChecks,
	"redaction_order": vecRedactionOrder,
	"backoff":         vecBackoff,
	"defaults":        vecDefaults,
	"discovery_parse": vecDiscovery,
	"endpoint":        vecEndpoint,
	"error_mapping":   vecErrorMapping,
	"error_kinds":     vecErrorKinds,
	"headers":         vecHeaders,
	"host_pick":       vecHostPick,
	"payloads":        vecPayloads,
	"redaction":       vecRedaction,
	"retry_after":     vecRetryAfter,
	"retry_decision":  vecRetryDecision,
}

var caseName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9_]+)*$`)

// TestSpec runs every case of spec/vectors and spec/scenarios as <file>/<case>, honouring
// spec/known-failing/go.txt (a listed case must fail) and spec/not-applicable/go.txt.
func TestSpec(t *testing.T) {
	known, err := loadGlobList(filepath.Join(specDir, "known-failing", "go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	notApplicable, err := loadGlobList(filepath.Join(specDir, "not-applicable", "go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range notApplicable.reasons {
		if r == "" {
			t.Errorf("not-applicable/go.txt: %q has no reason", notApplicable.globs[i])
		}
	}
	total := 0
	for _, kind := range []string{"vectors", "scenarios"} {
		files, _ := filepath.Glob(filepath.Join(specDir, kind, "*.json"))
		if len(files) == 0 {
			t.Fatalf("no spec files in %s", filepath.Join(specDir, kind))
		}
		for _, path := range files {
			stem := strings.TrimSuffix(filepath.Base(path), ".json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var f specFile
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil {
				t.Errorf("%s: does not match the case-file schema: %v", path, err)
				continue
			}
			for _, c := range f.Cases {
				c := c
				id := stem + "/" + c.Name
				total++
				t.Run(id, func(t *testing.T) {
					if reason, ok := notApplicable.match(id); ok {
						t.Skipf("not applicable to Go: %s", reason)
					}
					err := runCase(kind, stem, c)
					if _, listed := known.match(id); listed {
						if err == nil {
							t.Fatalf("%s passes but is listed in spec/known-failing/go.txt; remove it from the list", id)
						}
						t.Skipf("known failing: %v", err)
					}
					if err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
	t.Logf("%d spec cases", total)
}

func runCase(kind, stem string, c specCase) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if !caseName.MatchString(c.Name) || c.Description == "" || len(c.Rules) == 0 {
		return fmt.Errorf("case %q lacks a kebab-case name, a description or rules", c.Name)
	}
	in, err := decodeObj(c.Input)
	if err != nil {
		return fmt.Errorf("input: %v", err)
	}
	want, err := decodeObj(c.Expect)
	if err != nil {
		return fmt.Errorf("expect: %v", err)
	}
	if kind == "scenarios" {
		return runScenario(in, want, c)
	}
	h, ok := vectorHandlers[stem]
	if !ok {
		return fmt.Errorf("the Go runner has no handler for vector file %q", stem)
	}
	return h(in, want, c)
}

func closeTo(got time.Duration, want float64) bool {
	return math.Abs(got.Seconds()-want) < 2e-9
}

func vecAuth(in, want obj, _ specCase) error {
	if err := in.only("input", "token", "body", "content_type", "now", "path"); err != nil {
		return err
	}
	if err := want.only("expect", "content_md5", "date", "string_to_sign", "authorization"); err != nil {
		return err
	}
	body, err := specBytes(in["body"])
	if err != nil {
		return err
	}
	tok, _ := in.str("token")
	ct, _ := in.str("content_type")
	path, _ := in.str("path")
	s := sign(tok, body, ct, time.Unix(int64(in.num("now")), 0), path)
	got := map[string]string{"content_md5": s.contentMD5, "date": s.date, "string_to_sign": s.stringToSign, "authorization": s.authorization}
	for k, v := range got {
		if w, _ := want.str(k); w != v {
			return fmt.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	return nil
}

func policyFrom(o obj) (policy, error) {
	p := defaultPolicy()
	if o == nil {
		return p, nil
	}
	if err := o.only("policy", "backoff_base", "backoff_max", "retry_statuses", "retry_errors", "max_retries", "deadline", "retry_after_cap"); err != nil {
		return p, err
	}
	if o.has("backoff_base") {
		p.backoffBase = o.dur("backoff_base")
	}
	if o.has("backoff_max") {
		p.backoffMax = o.dur("backoff_max")
	}
	if o.has("retry_after_cap") {
		p.retryAfterCap = o.dur("retry_after_cap")
	}
	if o.has("max_retries") {
		p.maxRetries = o.int("max_retries")
	}
	if o.has("deadline") {
		p.deadline = o.dur("deadline")
	}
	if o.has("retry_statuses") {
		p.retryStatuses = map[int]bool{}
		for _, s := range o.list("retry_statuses") {
			p.retryStatuses[int(num(s))] = true
		}
	}
	if o.has("retry_errors") {
		p.retryErrors = map[ErrorKind]bool{}
		for _, s := range o.list("retry_errors") {
			k, _ := s.(string)
			p.retryErrors[ErrorKind(k)] = true
		}
	}
	return p, nil
}

func vecBackoff(in, want obj, _ specCase) error {
	if err := in.only("input", "retry", "rand", "policy"); err != nil {
		return err
	}
	p, err := policyFrom(toObj(in["policy"]))
	if err != nil {
		return err
	}
	got := p.backoff(in.int("retry"), in.num("rand"))
	if !closeTo(got, want.num("delay")) {
		return fmt.Errorf("delay %v, want %vs", got, want.num("delay"))
	}
	return nil
}

func vecDefaults(in, want obj, _ specCase) error {
	if err := in.only("input"); err != nil {
		return err
	}
	cfg := defaultConfig()
	var statuses []int
	for s := range cfg.policy.retryStatuses {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	var kinds []string
	for k := range cfg.policy.retryErrors {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	got := map[string]any{
		"timeout_s": cfg.timeout.Seconds(), "connect_timeout_s": cfg.connectTimeout.Seconds(),
		"max_retries": float64(cfg.policy.maxRetries), "backoff_base_s": cfg.policy.backoffBase.Seconds(),
		"backoff_max_s": cfg.policy.backoffMax.Seconds(), "retry_after_cap_s": cfg.policy.retryAfterCap.Seconds(),
		"deadline_s": nil, "retry_statuses": fmt.Sprint(statuses), "retry_errors": fmt.Sprint(kinds),
		"concurrency": float64(cfg.concurrency), "discovery_refresh_s": cfg.discoveryRefresh.Seconds(),
		"eject_for_s": cfg.ejectFor.Seconds(), "return_exceptions": true, // PredictMany: a Result per input
		"max_response_bytes":    float64(cfg.maxResponseBytes),
		"stream_max_line_bytes": float64(DefaultMaxLineBytes),
		"stream_accept":         acceptEventStream(http.Header{}).Get("Accept"),
		"budget_ratio":          cfg.budget.Ratio, "budget_min_per_s": cfg.budget.MinPerSecond, "budget_window_s": budgetWindowS,
		"adaptive_min": float64(cfg.adaptive.Min), "adaptive_max": float64(cfg.adaptive.Max),
		"adaptive_initial": float64(cfg.adaptive.Initial), "adaptive_backoff": cfg.adaptive.Backoff,
		"latency_tolerance": nil, "adaptive_max_pause_s": cfg.adaptive.MaxPause.Seconds(), "min_queue_delay_s": minQueueDelayS, "baseline_drift": baselineDrift,
	}
	if cfg.adaptive.LatencyTolerance != 0 {
		got["latency_tolerance"] = cfg.adaptive.LatencyTolerance
	}
	if cfg.policy.deadline != 0 {
		got["deadline_s"] = cfg.policy.deadline.Seconds()
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Errorf("the Go runner does not know default %q", k)
		}
		switch wv := w.(type) {
		case bool:
			if g != wv {
				return fmt.Errorf("%s = %v, want %v", k, g, wv)
			}
		case nil:
			if g != nil {
				return fmt.Errorf("%s = %v, want none", k, g)
			}
		case string:
			if g != wv {
				return fmt.Errorf("%s = %v, want %q", k, g, wv)
			}
		case []any:
			var parts []string
			for _, x := range wv {
				parts = append(parts, fmt.Sprint(x))
			}
			sort.Strings(parts)
			if fmt.Sprint(g) != "["+strings.Join(parts, " ")+"]" {
				return fmt.Errorf("%s = %v, want %v", k, g, wv)
			}
		default:
			if g != num(wv) {
				return fmt.Errorf("%s = %v, want %v", k, g, wv)
			}
		}
	}
	return nil
}

func vecDiscovery(in, want obj, _ specCase) error {
	if err := in.only("input", "body", "service"); err != nil {
		return err
	}
	body, err := specBytes(in["body"])
	if err != nil {
		return err
	}
	svc, _ := in.str("service")
	list, err := parseDiscovery(body, svc)
	if w, ok := want.str("error"); ok {
		return errorKindIs(err, w)
	}
	if err != nil {
		return err
	}
	var got []string
	for _, x := range list {
		got = append(got, fmt.Sprintf("[%s %d %d]", x.ip, x.port, x.weight))
	}
	var exp []string
	for _, x := range want.list("instances") {
		l := x.([]any)
		exp = append(exp, fmt.Sprintf("[%s %v %v]", l[0], l[1], l[2]))
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		return fmt.Errorf("instances %v, want %v", got, exp)
	}
	return nil
}

func vecEndpoint(in, want obj, _ specCase) error {
	if err := in.only("input", "endpoint", "service_name", "path", "params"); err != nil {
		return err
	}
	raw, _ := in.str("endpoint")
	svc, _ := in.str("service_name")
	sub, _ := in.str("path")
	var params []Param
	for _, p := range in.list("params") {
		kv := p.([]any)
		k, _ := kv[0].(string)
		v := kv[1]
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		params = append(params, P(k, v))
	}
	ep, err := parseEndpoint(raw, svc)
	var path, query string
	if err == nil {
		path, query, err = ep.requestTarget(sub, params)
	}
	if w, ok := want.str("error"); ok {
		return errorKindIs(err, w)
	}
	if err != nil {
		return err
	}
	url := ep.origin() + path
	if query != "" {
		url += "?" + query
	}
	wantSvc, _ := want.str("service")
	if w, _ := want.str("url"); url != w {
		return fmt.Errorf("url %q, want %q", url, w)
	}
	if w, _ := want.str("sign_path"); path != w {
		return fmt.Errorf("sign_path %q, want %q", path, w)
	}
	if ep.service != wantSvc {
		return fmt.Errorf("service %q, want %q", ep.service, wantSvc)
	}
	return nil
}

func vecErrorMapping(in, want obj, _ specCase) error {
	if err := in.only("input", "status", "body", "headers", "service"); err != nil {
		return err
	}
	var body []byte
	if in.has("body") {
		var err error
		if body, err = specBytes(in["body"]); err != nil {
			return err
		}
	}
	h := http.Header{}
	for k, v := range in.strMap("headers") {
		h.Set(k, v)
	}
	svc, _ := in.str("service")
	e := statusError(in.int("status"), h, body, svc, "http://h/api/predict/"+svc, "", 1)
	if err := want.only("expect", "error", "message_prefix", "request_id", "body_length"); err != nil {
		return err
	}
	if err := errorKindIs(e, mustStr(want, "error")); err != nil {
		return err
	}
	if p, ok := want.str("message_prefix"); ok && !strings.HasPrefix(e.Message, p) {
		return fmt.Errorf("message %q does not start with %q", e.Message, p)
	}
	if id, ok := want.str("request_id"); ok && e.RequestID != id {
		return fmt.Errorf("request id %q, want %q", e.RequestID, id)
	}
	if want.has("body_length") && len(e.Body) != want.int("body_length") {
		return fmt.Errorf("body excerpt %d bytes, want %d", len(e.Body), want.int("body_length"))
	}
	return nil
}

func kindByName(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return k, true
		}
	}
	return 0, false
}

func vecErrorKinds(in, want obj, _ specCase) error {
	if err := in.only("input", "error"); err != nil {
		return err
	}
	if err := want.only("expect", "is", "is_not"); err != nil {
		return err
	}
	k, ok := kindByName(mustStr(in, "error"))
	if !ok {
		return fmt.Errorf("Go has no kind %q", in["error"])
	}
	err := fmt.Errorf("wrapped: %w", &Error{Kind: k})
	var e *Error
	if !errors.As(err, &e) || e.Kind != k {
		return fmt.Errorf("errors.As does not find the *Error of kind %s", k)
	}
	for _, name := range want.list("is") {
		p, ok := kindByName(name.(string))
		if !ok || !errors.Is(err, p) {
			return fmt.Errorf("%s is not a %s", k, name)
		}
	}
	for _, name := range want.list("is_not") {
		p, ok := kindByName(name.(string))
		if !ok {
			return fmt.Errorf("Go has no kind %q", name)
		}
		if errors.Is(err, p) {
			return fmt.Errorf("%s matches %s", k, name)
		}
	}
	return nil
}

func mustStr(o obj, k string) string { s, _ := o.str(k); return s }

const dummyEndpoint = "http://127.0.0.1:9/api/predict/demo"

func vecHeaders(in, want obj, c specCase) error {
	if err := in.only("input", "token", "data", "client_headers", "headers", "auth", "user_agent"); err != nil {
		return err
	}
	if err := want.only("expect", "error", "headers", "absent", "body", "user_agent_appended"); err != nil {
		return err
	}
	expectErr, wantErr := want.str("error")
	fail := func(err error) error {
		if wantErr {
			return errorKindIs(err, expectErr)
		}
		return err
	}
	tok, hasTok := in.str("token")
	// Go has one token argument: "" means none, so the explicitly empty token of the spec is
	// the token check itself (the same one NewClient runs on a non-empty token).
	if hasTok && tok == "" {
		return fail(checkToken(tok))
	}
	opts := []Option{}
	for k, v := range in.strMap("client_headers") {
		opts = append(opts, WithHeader(k, v))
	}
	if a, _ := in.str("auth"); a == "signature" {
		opts = append(opts, WithSignature())
	}
	if ua, ok := in.str("user_agent"); ok {
		opts = append(opts, WithUserAgent(ua))
	}
	os.Unsetenv("EAS_TOKEN")
	cl, err := NewClient(dummyEndpoint, tok, opts...)
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	data, _ := rawField(c.Input, "data")
	payload, err := specPayload(data)
	if err != nil {
		return err
	}
	p, err := cl.prepare(&Request{Body: payload, Header: in.strMap("headers")})
	if err != nil {
		return fail(err)
	}
	if wantErr {
		return fmt.Errorf("want %s, got headers %v", expectErr, p.header)
	}
	h := cl.attemptHeader(&p)
	if !strings.HasPrefix(h.Get("User-Agent"), "eas-client-") {
		return fmt.Errorf("User-Agent %q", h.Get("User-Agent"))
	}
	if app, ok := want.str("user_agent_appended"); ok && h.Get("User-Agent") != defaultUserAgent()+" "+app {
		return fmt.Errorf("User-Agent %q, want ours + %q", h.Get("User-Agent"), " "+app)
	}
	for k, v := range want.strMap("headers") {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			return fmt.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range want.list("absent") {
		if name, _ := k.(string); h.Get(name) != "" {
			return fmt.Errorf("header %s must be absent, got %q", name, h.Get(name))
		}
	}
	if want.has("body") {
		return bytesMatch(want["body"], p.body)
	}
	return nil
}

func parseInstances(v any) []instance {
	var out []instance
	for _, x := range v.([]any) {
		l := x.([]any)
		ip, _ := l[0].(string)
		out = append(out, instance{ip: ip, port: int(num(l[1])), weight: int(num(l[2]))})
	}
	return out
}

func vecHostPick(in, want obj, _ specCase) error {
	if err := in.only("input", "instances", "ops", "eject_for"); err != nil {
		return err
	}
	b := newBalancer(in.dur("eject_for"))
	b.update(parseInstances(in["instances"]))
	var picks []string
	counts := map[string]int{}
	for _, raw := range in.list("ops") {
		op := toObj(raw)
		switch {
		case op.has("pick"):
			p := toObj(op["pick"])
			if err := p.only("pick", "now", "exclude"); err != nil {
				return err
			}
			ex, _ := p.str("exclude")
			x, _ := b.pick(p.dur("now"), ex)
			picks = append(picks, x.key())
		case op.has("picks"):
			for range op.int("picks") {
				x, _ := b.pick(op.dur("now"), "")
				counts[x.key()]++
			}
		case op.has("eject"):
			k, _ := op.str("eject")
			b.eject(k, op.dur("now"))
		case op.has("succeed"):
			k, _ := op.str("succeed")
			b.succeed(k)
		case op.has("update"):
			b.update(parseInstances(op["update"]))
		default:
			return fmt.Errorf("the Go runner does not understand op %v", op)
		}
	}
	if want.has("picks") {
		var exp []string
		for _, x := range want.list("picks") {
			exp = append(exp, x.(string))
		}
		if fmt.Sprint(picks) != fmt.Sprint(exp) {
			return fmt.Errorf("picks %v, want %v", picks, exp)
		}
	}
	if want.has("counts") {
		for k, v := range toObj(want["counts"]) {
			if counts[k] != int(num(v)) {
				return fmt.Errorf("count of %s = %d, want %v (all: %v)", k, counts[k], v, counts)
			}
		}
	}
	return nil
}

func vecPayloads(in, want obj, _ specCase) error {
	kind, _ := in.str("kind")
	expectErr, wantErr := want.str("error")
	switch kind {
	case "tf_response", "torch_response":
		if err := in.only("input", "kind", "body_hex"); err != nil {
			return err
		}
		body, err := hex.DecodeString(mustStr(in, "body_hex"))
		if err != nil {
			return err
		}
		outputs := map[string]*Tensor{}
		if kind == "tf_response" {
			r, err := DecodeTFResponse(body)
			if wantErr {
				return errorKindIs(err, expectErr)
			}
			if err != nil {
				return err
			}
			outputs = r.Outputs
		} else {
			r, err := DecodeTorchResponse(body)
			if wantErr {
				return errorKindIs(err, expectErr)
			}
			if err != nil {
				return err
			}
			for i, t := range r.Outputs {
				outputs[fmt.Sprint(i)] = t
			}
			for k, t := range r.MapOutputs {
				outputs[k] = t
			}
		}
		exp := toObj(want["outputs"])
		if len(exp) != len(outputs) {
			return fmt.Errorf("%d outputs, want %d", len(outputs), len(exp))
		}
		for name, w := range exp {
			if err := compareTensor(name, outputs[name], toObj(w)); err != nil {
				return err
			}
		}
		return nil
	}
	r, err := buildTensorRequest(in)
	if err != nil {
		if wantErr {
			return fmt.Errorf("the Go runner could not express the input: %v", err)
		}
		return err
	}
	body, err := r.Marshal()
	if wantErr {
		return errorKindIs(err, expectErr)
	}
	if err != nil {
		return err
	}
	if got, w := hex.EncodeToString(body), mustStr(want, "body_hex"); got != w {
		return fmt.Errorf("body\n got %s\nwant %s", got, w)
	}
	return nil
}

func vecRedaction(in, want obj, _ specCase) error {
	if err := in.only("input", "what", "token", "status", "body", "headers"); err != nil {
		return err
	}
	tok, _ := in.str("token")
	var texts []string
	switch what, _ := in.str("what"); what {
	case "client_repr":
		c, err := NewClient(dummyEndpoint, tok)
		if err != nil {
			return err
		}
		defer c.Close()
		texts = []string{c.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)}
	case "status_error":
		body, err := specBytes(in["body"])
		if err != nil {
			return err
		}
		e := statusError(in.int("status"), http.Header{}, body, "demo", dummyEndpoint, tok, 1)
		texts = []string{e.Error(), fmt.Sprintf("%+v", e), string(e.Body)}
	case "config_error":
		_, err := NewClient(dummyEndpoint, tok)
		if err := errorKindIs(err, mustStr(want, "error")); err != nil {
			return err
		}
		texts = []string{err.Error(), fmt.Sprintf("%+v", err)}
	case "headers":
		var pairs [][2]string
		for _, x := range in.list("headers") {
			l := x.([]any)
			pairs = append(pairs, [2]string{l[0].(string), l[1].(string)})
		}
		got := MaskHeaders(pairs)
		var exp [][2]string
		for _, x := range want.list("headers") {
			l := x.([]any)
			exp = append(exp, [2]string{l[0].(string), l[1].(string)})
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			return fmt.Errorf("masked %v, want %v", got, exp)
		}
		return nil
	case "caller_headers":
		c, err := NewClient(dummyEndpoint, tok)
		if err != nil {
			return err
		}
		defer c.Close()
		hdr := in.strMap("headers")
		if _, err := c.prepare(&Request{Body: Bytes(nil), Header: hdr}); err != nil {
			return err
		}
		after := want.strMap("headers_after")
		if fmt.Sprint(hdr) != fmt.Sprint(after) {
			return fmt.Errorf("caller headers became %v, want %v", hdr, after)
		}
		return nil
	default:
		return fmt.Errorf("the Go runner does not understand what=%q", what)
	}
	absent, _ := want.str("absent")
	contains, hasContains := want.str("contains")
	all := strings.Join(texts, "\n")
	if absent != "" && strings.Contains(all, absent) {
		return fmt.Errorf("%q shows %q", all, absent)
	}
	if hasContains && !strings.Contains(texts[0], contains) {
		return fmt.Errorf("%q does not contain %q", texts[0], contains)
	}
	return nil
}

func vecRetryAfter(in, want obj, _ specCase) error {
	if err := in.only("input", "value", "now"); err != nil {
		return err
	}
	v, present := in.str("value")
	got, ok := parseRetryAfter(v, time.Unix(int64(in.num("now")), 0))
	ok = ok && present
	if want["seconds"] == nil {
		if ok {
			return fmt.Errorf("got %v, want the value ignored", got)
		}
		return nil
	}
	if !ok || !closeTo(got, want.num("seconds")) {
		return fmt.Errorf("got %v (ok=%t), want %vs", got, ok, want["seconds"])
	}
	return nil
}

func vecRetryDecision(in, want obj, _ specCase) error {
	if err := in.only("input", "elapsed", "rand", "now", "attempts", "status", "error", "policy", "retry_after"); err != nil {
		return err
	}
	p, err := policyFrom(toObj(in["policy"]))
	if err != nil {
		return err
	}
	o := outcome{status: in.int("status")}
	if k, ok := in.str("error"); ok {
		o = outcome{errKind: ErrorKind(k)}
	}
	o.retryAfter, o.hasRA = in.str("retry_after")
	d := p.decide(o, in.int("attempts"), in.dur("elapsed"), in.num("rand"), time.Unix(int64(in.num("now")), 0))
	names := map[action]string{actionReturn: "return", actionRetry: "retry", actionRaise: "raise"}
	if w := mustStr(want, "action"); names[d.action] != w {
		return fmt.Errorf("action %s, want %s (%s)", names[d.action], w, d.reason)
	}
	if want.has("delay") && !closeTo(d.delay, want.num("delay")) {
		return fmt.Errorf("delay %v, want %vs", d.delay, want["delay"])
	}
	if hit, _ := want["deadline_hit"].(bool); hit != d.deadlineHit {
		return fmt.Errorf("deadline_hit %t, want %t", d.deadlineHit, hit)
	}
	return nil
}

// --- scenarios ---

func runScenario(in, want obj, c specCase) error {
	if err := in.only("input", "client", "call", "replies", "instances", "discovery", "warmup"); err != nil {
		return err
	}
	if err := want.only("expect", "requests", "unordered_requests", "outcome", "instance_requests", "discovery_requests",
		"final_instance", "max_in_flight", "elapsed_ms", "log", "budget_denied"); err != nil {
		return err
	}
	clientIn := toObj(in["client"])
	token, _ := clientIn.str("token")
	if t, ok := toObj(clientIn["env"]).str("EAS_TOKEN"); ok && token == "" {
		token = t
	}
	logs := &logSink{}
	callOpts, err := batchClientOptions(in)
	if err != nil {
		return err
	}
	var servers []*scriptedServer // where the call's requests land
	var client *Client
	if in.has("instances") {
		var instSpecs []obj
		for _, raw := range in.list("instances") {
			o := toObj(raw)
			if err := o.only("instance", "weight", "replies", "down"); err != nil {
				return err
			}
			instSpecs = append(instSpecs, o)
			var replies []scriptedReply
			for _, r := range o.list("replies") {
				rep, err := parseReply(r)
				if err != nil {
					return err
				}
				replies = append(replies, rep)
			}
			s := newScriptedServer(replies, &scriptedReply{status: 200, body: []byte("ok")})
			defer s.srv.Close()
			if down, _ := o["down"].(bool); down {
				s.srv.Close() // its port now refuses connections
			}
			servers = append(servers, s)
		}
		var discReplies []scriptedReply
		for _, raw := range in.list("discovery") {
			o := toObj(raw)
			if !o.has("items") {
				rep, err := parseReply(raw)
				if err != nil {
					return err
				}
				discReplies = append(discReplies, rep)
				continue
			}
			if err := o.only("discovery reply", "status", "items", "delay_ms"); err != nil {
				return err
			}
			items := []map[string]any{}
			for _, i := range o.list("items") {
				n := int(num(i))
				items = append(items, map[string]any{"ip": "127.0.0.1", "port": servers[n].port(), "weight": int(instSpecs[n].num("weight"))})
			}
			body, _ := json.Marshal(map[string]any{"endpoints": map[string]any{"items": items}})
			status := 200
			if o.has("status") {
				status = o.int("status")
			}
			discReplies = append(discReplies, scriptedReply{status: status, headers: map[string]string{"Content-Type": "application/json"}, body: body,
				delay: time.Duration(o.num("delay_ms") * float64(time.Millisecond))})
		}
		disc := newScriptedServer(discReplies, nil)
		defer disc.srv.Close()
		client, err = scenarioClient(clientIn, disc.origin(), logs, callOpts...)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := checkOutcome(client, c, want, token, disc.origin()); err != nil {
			return err
		}
		if err := logs.check(want, disc.origin(), token); err != nil {
			return err
		}
		if err := checkBudgetDenied(client, want); err != nil {
			return err
		}
		if want.has("instance_requests") {
			var got []int
			for _, s := range servers {
				got = append(got, len(s.requests()))
			}
			if fmt.Sprint(got) != fmt.Sprint(want.list("instance_requests")) {
				return fmt.Errorf("instance requests %v, want %v", got, want.list("instance_requests"))
			}
		}
		seen := disc.requests()
		if want.has("discovery_requests") && len(seen) != want.int("discovery_requests") {
			return fmt.Errorf("%d discovery requests, want %d", len(seen), want.int("discovery_requests"))
		}
		service, _ := clientIn.str("service_name")
		service, _, _ = strings.Cut(strings.Trim(service, "/ "), "/")
		for _, r := range seen {
			if r.method != "GET" || r.path != "/api/v1/servicediscovery/upstreams/"+service {
				return fmt.Errorf("discovery request %s %s", r.method, r.path)
			}
			if r.header.Get("Authorization") != "" || !strings.HasPrefix(r.header.Get("User-Agent"), "eas-client-") {
				return fmt.Errorf("discovery request headers %v", r.header)
			}
		}
		if want.has("final_instance") {
			var lastSeq int64
			last := -1
			for i, s := range servers {
				for _, r := range s.requests() {
					if r.seq > lastSeq {
						lastSeq, last = r.seq, i
					}
				}
			}
			if last != want.int("final_instance") {
				return fmt.Errorf("final instance %d, want %d", last, want.int("final_instance"))
			}
		}
		var all []seenRequest
		for _, s := range servers {
			all = append(all, s.requests()...)
		}
		return checkRequests(all, want, token)
	}
	var replies []scriptedReply
	for _, r := range in.list("replies") {
		rep, err := parseReply(r)
		if err != nil {
			return err
		}
		replies = append(replies, rep)
	}
	s := newScriptedServer(replies, nil)
	defer s.srv.Close()
	client, err = scenarioClient(clientIn, s.origin(), logs, callOpts...)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := checkOutcome(client, c, want, token, s.origin()); err != nil {
		return err
	}
	if want.has("max_in_flight") && s.peak() != want.int("max_in_flight") {
		return fmt.Errorf("max in flight %d, want %d", s.peak(), want.int("max_in_flight"))
	}
	if err := logs.check(want, s.origin(), token); err != nil {
		return err
	}
	if err := checkBudgetDenied(client, want); err != nil {
		return err
	}
	return checkRequests(s.requests(), want, token)
}

// logSink captures every line the client logs (TEST-1).
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.lines = append(l.lines, line)
	}
	return len(p), nil
}

func (l *logSink) check(want obj, origin, token string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := strings.Join(l.lines, "\n")
	if len(token) >= minSearchedToken && strings.Contains(all, token) {
		return fmt.Errorf("a log line shows the token:\n%s", all)
	}
	lw := toObj(want["log"])
	if lw == nil {
		return nil
	}
	if err := lw.only("log", "lines_with_url", "contains", "absent"); err != nil {
		return err
	}
	if lw.has("lines_with_url") {
		n := 0
		for _, line := range l.lines {
			if strings.Contains(line, origin) {
				n++
			}
		}
		if n != lw.int("lines_with_url") {
			return fmt.Errorf("%d log lines with the URL, want %d:\n%s", n, lw.int("lines_with_url"), all)
		}
	}
	for _, c := range lw.list("contains") {
		if !strings.Contains(all, c.(string)) {
			return fmt.Errorf("no log line contains %q:\n%s", c, all)
		}
	}
	for _, a := range lw.list("absent") {
		if strings.Contains(all, a.(string)) {
			return fmt.Errorf("a log line contains %q:\n%s", a, all)
		}
	}
	return nil
}

// scenarioClient builds a client from input.client with rand fixed at 0.
func scenarioClient(o obj, origin string, logs *logSink, extra ...Option) (*Client, error) {
	if err := o.only("client", "token", "service_name", "auth", "backoff_base", "backoff_max", "retry_after_cap",
		"retry_statuses", "retry_errors", "max_retries", "timeout", "connect_timeout", "deadline", "endpoint_type",
		"discovery_refresh", "eject_for", "headers", "endpoint_path", "env", "rand", "clock", "max_response_bytes",
		"retry_budget"); err != nil {
		return nil, err
	}
	r := o.num("rand")
	if !o.has("rand") {
		r = 0
	}
	opts := []Option{WithRandom(func() float64 { return r }),
		WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
	if o.has("clock") {
		at := time.Unix(0, int64(o.num("clock")*1e9))
		opts = append(opts, WithClock(func() time.Time { return at }))
	}
	endpoint := origin
	if p, ok := o.str("endpoint_path"); ok {
		endpoint += p
	}
	if s, ok := o.str("service_name"); ok {
		opts = append(opts, WithServiceName(s))
	}
	if a, _ := o.str("auth"); a == "signature" {
		opts = append(opts, WithSignature())
	}
	p, err := policyFrom(obj{})
	if err != nil {
		return nil, err
	}
	base, bmax := p.backoffBase, p.backoffMax
	if o.has("backoff_base") {
		base = o.dur("backoff_base")
	}
	if o.has("backoff_max") {
		bmax = o.dur("backoff_max")
	}
	opts = append(opts, WithBackoff(base, bmax))
	if o.has("retry_after_cap") {
		opts = append(opts, WithRetryAfterCap(o.dur("retry_after_cap")))
	}
	if o.has("retry_statuses") {
		var st []int
		for _, s := range o.list("retry_statuses") {
			st = append(st, int(num(s)))
		}
		opts = append(opts, WithRetryStatuses(st...))
	}
	if o.has("retry_errors") {
		var ks []ErrorKind
		for _, s := range o.list("retry_errors") {
			k, _ := s.(string)
			ks = append(ks, ErrorKind(k))
		}
		opts = append(opts, WithRetryErrors(ks...))
	}
	if o.has("max_retries") {
		opts = append(opts, WithMaxRetries(o.int("max_retries")))
	}
	if o.has("timeout") {
		opts = append(opts, WithTimeout(o.dur("timeout")))
	}
	if o.has("connect_timeout") {
		opts = append(opts, WithConnectTimeout(o.dur("connect_timeout")))
	}
	if o.has("deadline") {
		opts = append(opts, WithDeadline(o.dur("deadline")))
	}
	if t, _ := o.str("endpoint_type"); t == "direct" {
		opts = append(opts, WithDirect())
	}
	if o.has("discovery_refresh") {
		opts = append(opts, WithDiscoveryRefresh(o.dur("discovery_refresh")))
	}
	if o.has("eject_for") {
		opts = append(opts, WithEjectFor(o.dur("eject_for")))
	}
	if o.has("max_response_bytes") {
		if o["max_response_bytes"] == nil {
			opts = append(opts, WithNoResponseLimit())
		} else {
			opts = append(opts, WithMaxResponseBytes(int64(o.num("max_response_bytes"))))
		}
	}
	for k, v := range o.strMap("headers") {
		opts = append(opts, WithHeader(k, v))
	}
	if o.has("retry_budget") {
		b, err := specBudget(o["retry_budget"])
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithRetryBudget(b))
	}
	opts = append(opts, extra...)
	tok, _ := o.str("token")
	for _, name := range []string{"EAS_ENDPOINT", "EAS_TOKEN", "EAS_SERVICE_NAME"} {
		os.Unsetenv(name)
	}
	env := o.strMap("env")
	for name, v := range env {
		os.Setenv(name, strings.ReplaceAll(v, "{origin}", origin))
	}
	defer func() {
		for name := range env {
			os.Unsetenv(name)
		}
	}()
	if _, ok := env["EAS_ENDPOINT"]; ok {
		endpoint = ""
	}
	return NewClient(endpoint, tok, opts...)
}

func checkOutcome(client *Client, c specCase, expect obj, token, origin string) error {
	call, _ := rawField(c.Input, "call")
	co, _ := decodeObj(call)
	if err := co.only("call", "data", "batch", "concurrency", "return_exceptions", "path", "params", "headers",
		"max_retries", "timeout", "repeat", "pause_ms", "cancel_after_ms", "stream", "stop_after"); err != nil {
		return err
	}
	want := toObj(expect["outcome"])
	if err := want.only("outcome", "body", "attempts", "error", "status", "last_error", "results", "request_id",
		"service_url", "message_contains", "cancelled", "received", "bytes_received"); err != nil {
		return err
	}
	if len(want) == 0 {
		return fmt.Errorf("an empty outcome")
	}
	warm, _ := rawField(c.Input, "warmup")
	var warmups []json.RawMessage
	if len(warm) > 0 {
		if err := json.Unmarshal(warm, &warmups); err != nil {
			return err
		}
	}
	for i, w := range warmups {
		wo, _ := decodeObj(w)
		if err := wo.only("warmup call", "data"); err != nil {
			return err
		}
		data, _ := rawField(w, "data")
		payload, err := specPayload(data)
		if err != nil {
			return err
		}
		if _, err := client.Do(context.Background(), &Request{Body: payload}); err != nil {
			return fmt.Errorf("warm-up call %d: %v", i, err)
		}
	}
	repeat := 1
	if co.has("repeat") {
		repeat = co.int("repeat")
	}
	for range repeat {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if co.has("cancel_after_ms") {
			t := time.AfterFunc(time.Duration(co.num("cancel_after_ms")*float64(time.Millisecond)), cancel)
			defer t.Stop()
		}
		start := time.Now()
		err := oneCall(ctx, client, call, co, want, token, origin)
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			return err
		}
		if e := toObj(expect["elapsed_ms"]); e != nil {
			ms := float64(elapsed) / float64(time.Millisecond)
			if (e.has("min") && ms < e.num("min")) || (e.has("max") && ms > e.num("max")) {
				return fmt.Errorf("the call took %.0f ms, want %v…%v", ms, e["min"], e["max"])
			}
		}
		if co.has("pause_ms") {
			time.Sleep(time.Duration(co.num("pause_ms") * float64(time.Millisecond)))
		}
	}
	return nil
}

func oneCall(ctx context.Context, client *Client, call json.RawMessage, co, want obj, token, origin string) error {
	if co.has("batch") {
		var payloads []Payload
		items, _ := rawField(call, "batch")
		var raws []json.RawMessage
		_ = json.Unmarshal(items, &raws)
		for _, r := range raws {
			p, err := specPayload(r)
			if err != nil {
				return err
			}
			payloads = append(payloads, p)
		}
		stop := false
		if re, ok := co["return_exceptions"].(bool); ok && !re {
			stop = true
		}
		conc := DefaultConcurrency
		if co.has("concurrency") {
			conc = specConcurrency(co["concurrency"])
		}
		results, failure := client.batch(ctx, payloads, conc, stop)
		if want.has("error") {
			if !stop && failure != nil {
				if e, ok := asError(failure); ok && e.Kind == KindConfig {
					return checkError(failure, want, token, origin)
				}
			}
			if stop {
				return checkError(failure, want, token, origin)
			}
			return fmt.Errorf("want %s, got results", mustStr(want, "error"))
		}
		exp := want.list("results")
		if len(results) != len(exp) {
			return fmt.Errorf("%d results, want %d (failure %v)", len(results), len(exp), failure)
		}
		for i, w := range exp {
			wo := toObj(w)
			if c, _ := wo["cancelled"].(bool); c {
				if err := isCancellation(results[i].Err, token); err != nil {
					return fmt.Errorf("result %d: %v", i, err)
				}
				continue
			}
			if e, ok := wo.str("error"); ok {
				if err := errorKindIs(results[i].Err, e); err != nil {
					return fmt.Errorf("result %d: %v", i, err)
				}
				if l, ok := wo.str("last_error"); ok {
					if err := checkError(results[i].Err, obj{"error": e, "last_error": l}, token, origin); err != nil {
						return fmt.Errorf("result %d: %v", i, err)
					}
				}
				continue
			}
			if results[i].Err != nil {
				return fmt.Errorf("result %d: %v", i, results[i].Err)
			}
			if err := bytesMatch(wo["body"], results[i].Body); err != nil {
				return fmt.Errorf("result %d: %v", i, err)
			}
		}
		return nil
	}
	data, _ := rawField(call, "data")
	payload, err := specPayload(data)
	if err != nil {
		return err
	}
	req := &Request{Body: payload, Header: co.strMap("headers")}
	req.Path, _ = co.str("path")
	for _, p := range co.list("params") {
		kv := p.([]any)
		v := kv[1]
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		req.Params = append(req.Params, P(kv[0].(string), v))
	}
	if co.has("max_retries") {
		req.MaxRetries = Ptr(co.int("max_retries"))
	}
	if co.has("timeout") {
		req.Timeout = co.dur("timeout")
	}
	if mode, ok := co.str("stream"); ok {
		return streamCall(ctx, client, req, mode, co, want, token, origin)
	}
	resp, err := client.Do(ctx, req)
	if c, _ := want["cancelled"].(bool); c {
		if err == nil || errors.Is(err, ErrEAS) || !(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return fmt.Errorf("want the context's cancellation error, got %v", err)
		}
		if len(token) >= minSearchedToken && strings.Contains(err.Error(), token) {
			return fmt.Errorf("the error shows the token")
		}
		return nil
	}
	if want.has("error") {
		return checkError(err, want, token, origin)
	}
	if err != nil {
		return fmt.Errorf("unexpected error: %v", err)
	}
	if err := bytesMatch(want["body"], resp.Body); err != nil {
		return err
	}
	if want.has("attempts") && resp.Attempts != want.int("attempts") {
		return fmt.Errorf("attempts %d, want %d", resp.Attempts, want.int("attempts"))
	}
	return nil
}

func checkError(err error, want obj, token, origin string) error {
	if err := errorKindIs(err, mustStr(want, "error")); err != nil {
		return err
	}
	e, _ := asError(err)
	if want.has("attempts") && e.Attempts != want.int("attempts") {
		return fmt.Errorf("attempts %d, want %d", e.Attempts, want.int("attempts"))
	}
	if want.has("status") && e.Status != want.int("status") {
		return fmt.Errorf("status %d, want %d", e.Status, want.int("status"))
	}
	if l, ok := want.str("last_error"); ok {
		last, ok := asError(e.Err)
		if !ok || last.Kind.String() != l {
			return fmt.Errorf("last error %v, want %s", e.Err, l)
		}
	}
	if id, ok := want.str("request_id"); ok && e.RequestID != id {
		return fmt.Errorf("request id %q, want %q", e.RequestID, id)
	}
	if u, ok := want.str("service_url"); ok && e.Endpoint != strings.ReplaceAll(u, "{origin}", origin) {
		return fmt.Errorf("service url %q, want %q", e.Endpoint, u)
	}
	for _, m := range want.list("message_contains") {
		if !strings.Contains(e.Error(), m.(string)) {
			return fmt.Errorf("%q does not contain %q", e.Error(), m)
		}
	}
	if len(token) >= minSearchedToken {
		if bytes.Contains(e.Body, []byte(token)) {
			return fmt.Errorf("the error's body shows the token: %v", e)
		}
		if err := tokenReachable(err, token); err != nil {
			return err
		}
	}
	return nil
}

// tokenReachable walks the whole errors.Unwrap tree of err and fails when any error's text,
// %+v or %#v, or (for an *Error) its request id or headers, shows the token (SEC-1, SEC-4).
func tokenReachable(err error, token string) error {
	seen := 0
	var walk func(error) error
	walk = func(err error) error {
		if err == nil || seen > 100 {
			return nil
		}
		seen++
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(text, token) {
				return fmt.Errorf("an error in the chain (%T) shows the token: %s", err, text)
			}
		}
		if e, ok := err.(*Error); ok {
			if strings.Contains(e.RequestID+fmt.Sprint(e.Header), token) {
				return fmt.Errorf("the error's request id or headers show the token")
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if err := walk(x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(err)
}

func checkRequests(seen []seenRequest, expect obj, token string) error {
	for i, s := range seen {
		if s.method == "POST" && (s.proto != "HTTP/1.1" || s.length != int64(len(s.body)) || len(s.te) > 0) {
			return fmt.Errorf("request %d: %s, Content-Length %d for %d bytes, Transfer-Encoding %v (HTTP-1)", i, s.proto, s.length, len(s.body), s.te)
		}
	}
	if !expect.has("requests") {
		return nil
	}
	wanted := expect.list("requests")
	if len(seen) != len(wanted) {
		return fmt.Errorf("the server saw %d requests, want %d", len(seen), len(wanted))
	}
	if u, _ := expect["unordered_requests"].(bool); u {
		// Pair by body: sort both sides by it.
		seen = append([]seenRequest(nil), seen...)
		sort.SliceStable(seen, func(a, b int) bool { return string(seen[a].body) < string(seen[b].body) })
		wanted = append([]any(nil), wanted...)
		key := func(v any) string { b, _ := specBytes(toObj(v)["body"]); return string(b) }
		sort.SliceStable(wanted, func(a, b int) bool { return key(wanted[a]) < key(wanted[b]) })
	}
	for i, raw := range wanted {
		w := toObj(raw)
		if err := w.only("request", "method", "path", "query", "headers", "body", "signature_valid", "connection"); err != nil {
			return err
		}
		s := seen[i]
		if w.has("connection") && s.conn != w.int("connection") {
			return fmt.Errorf("request %d came on connection %d, want %d", i, s.conn, w.int("connection"))
		}
		if s.method != mustStr(w, "method") || s.path != mustStr(w, "path") || s.query != mustStr(w, "query") {
			return fmt.Errorf("request %d: %s %s ?%s, want %s %s ?%s", i, s.method, s.path, s.query, w["method"], w["path"], w["query"])
		}
		if !strings.HasPrefix(s.header.Get("User-Agent"), "eas-client-") {
			return fmt.Errorf("request %d: User-Agent %q", i, s.header.Get("User-Agent"))
		}
		for name, v := range toObj(w["headers"]) {
			got := s.header.Values(name)
			if v == nil {
				if len(got) > 0 {
					return fmt.Errorf("request %d: header %s = %q, want absent", i, name, got)
				}
				continue
			}
			if len(got) != 1 || got[0] != v.(string) {
				return fmt.Errorf("request %d: header %s = %q, want %q", i, name, got, v)
			}
		}
		if w.has("body") {
			if err := bytesMatch(w["body"], s.body); err != nil {
				return fmt.Errorf("request %d: %v", i, err)
			}
		}
		if ok, _ := w["signature_valid"].(bool); ok {
			date, err := http.ParseTime(s.header.Get("Date"))
			if err != nil {
				return fmt.Errorf("request %d: Date %q: %v", i, s.header.Get("Date"), err)
			}
			sig := sign(token, s.body, s.header.Get("Content-Type"), date, s.path)
			if s.header.Get("Content-MD5") != sig.contentMD5 || s.header.Get("Authorization") != sig.authorization {
				return fmt.Errorf("request %d: signature does not verify", i)
			}
		}
	}
	return nil
}

// --- section 12 vectors ---

func vecHeaderChecks(in, want obj, c specCase) error {
	if err := in.only("input", "token", "data", "client_headers", "headers", "endpoint", "service_name"); err != nil {
		return err
	}
	if err := want.only("expect", "error", "headers", "url"); err != nil {
		return err
	}
	if ep, ok := in.str("endpoint"); ok {
		svc, _ := in.str("service_name")
		got, err := parseEndpoint(ep, svc)
		if e, ok := want.str("error"); ok {
			return errorKindIs(err, e)
		}
		if err != nil {
			return err
		}
		if got.url() != mustStr(want, "url") {
			return fmt.Errorf("url %q, want %q", got.url(), want["url"])
		}
		return nil
	}
	if err := vecHeaders(in, want, c); err != nil {
		return err
	}
	if !want.has("error") {
		return nil
	}
	// A refused value is not echoed in the message (HDR-4): rebuild the error and look.
	opts := []Option{}
	for k, v := range in.strMap("client_headers") {
		opts = append(opts, WithHeader(k, v))
	}
	tok, _ := in.str("token")
	cl, err := NewClient(dummyEndpoint, tok, opts...)
	if err == nil {
		defer cl.Close()
		_, err = cl.prepare(&Request{Body: Bytes([]byte{0}), Header: in.strMap("headers")})
	}
	if err == nil {
		return fmt.Errorf("want a ConfigError")
	}
	for _, layer := range []map[string]string{in.strMap("headers"), in.strMap("client_headers")} {
		for _, v := range layer {
			if len(v) > 3 && strings.Contains(err.Error(), v) {
				return fmt.Errorf("the error echoes the refused value: %v", err)
			}
		}
	}
	return nil
}

func vecRedactionOrder(in, want obj, _ specCase) error {
	if err := in.only("input", "what", "token", "auth", "status", "body", "headers"); err != nil {
		return err
	}
	if err := want.only("expect", "absent", "message_contains", "body", "headers", "request_id"); err != nil {
		return err
	}
	tok, _ := in.str("token")
	var texts []string
	if what, _ := in.str("what"); what == "client_vars" {
		opts := []Option{WithHeader("X-A", "1")}
		if a, _ := in.str("auth"); a == "signature" {
			opts = append(opts, WithSignature())
		}
		c, err := NewClient(dummyEndpoint, tok, opts...)
		if err != nil {
			return err
		}
		defer c.Close()
		// Go's nearest thing to vars(): the client's struct and its config printed with
		// each verb, unexported fields included (fmt reads them by reflection, calling no
		// method on them, so only the pointer to the credentials keeps the token out).
		v := reflect.ValueOf(c).Elem()
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			texts = append(texts, fmt.Sprintf(verb, v), fmt.Sprintf(verb, c.cfg), fmt.Sprintf(verb, c), fmt.Sprintf(verb, c.creds))
		}
	} else {
		body, err := specBytes(in["body"])
		if err != nil {
			return err
		}
		h := http.Header{}
		for k, v := range in.strMap("headers") {
			h.Set(k, v)
		}
		e := statusError(in.int("status"), h, body, "demo", dummyEndpoint, tok, 1)
		texts = []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), string(e.Body), fmt.Sprint(e.Header), e.RequestID}
		if m, ok := want.str("message_contains"); ok && !strings.Contains(e.Error(), m) {
			return fmt.Errorf("%q does not contain %q", e.Error(), m)
		}
		if want.has("body") {
			if err := bytesMatch(want["body"], e.Body); err != nil {
				return err
			}
		}
		if want.has("headers") {
			got := map[string]string{}
			for k, v := range e.Header {
				got[strings.ToLower(k)] = strings.Join(v, ",")
			}
			if fmt.Sprint(got) != fmt.Sprint(want.strMap("headers")) {
				return fmt.Errorf("headers %v, want %v", got, want["headers"])
			}
		}
		if id, ok := want.str("request_id"); ok && e.RequestID != id {
			return fmt.Errorf("request id %q, want %q", e.RequestID, id)
		}
	}
	for _, a := range want.list("absent") {
		for _, t := range texts {
			if strings.Contains(t, a.(string)) {
				return fmt.Errorf("%q shows %q", t, a)
			}
		}
	}
	return nil
}

func vecAttemptBounds(in, want obj, c specCase) error {
	if !in.has("max_response_bytes") {
		return vecRetryDecision(in, want, c)
	}
	if err := in.only("input", "max_response_bytes"); err != nil {
		return err
	}
	opt := WithNoResponseLimit()
	if v := in["max_response_bytes"]; v != nil {
		n := num(v)
		if n != math.Trunc(n) {
			return fmt.Errorf("%v is not an integer: WithMaxResponseBytes takes an int64", v)
		}
		opt = WithMaxResponseBytes(int64(n))
	}
	cl, err := NewClient(dummyEndpoint, "", opt)
	if e, ok := want.str("error"); ok {
		return errorKindIs(err, e)
	}
	if err != nil {
		return err
	}
	defer cl.Close()
	var got any
	if cl.cfg.maxResponseBytes != 0 {
		got = float64(cl.cfg.maxResponseBytes)
	}
	if w := want["max_response_bytes"]; (w == nil) != (got == nil) || (w != nil && num(w) != got) {
		return fmt.Errorf("max_response_bytes %v, want %v", got, w)
	}
	return nil
}
