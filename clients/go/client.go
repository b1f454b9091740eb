package eas

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Version is the client's version, sent in the User-Agent.
const Version = "0.1.0"

func defaultUserAgent() string {
	return fmt.Sprintf("eas-client-go/%s (%s; %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Payload is a request body with its content type (PAYLOAD-1 … 4).
type Payload struct {
	data        []byte
	contentType string
	err         error
}

// Bytes sends b as is with application/octet-stream.
func Bytes(b []byte) Payload { return Payload{data: b, contentType: "application/octet-stream"} }

// Text sends s as UTF-8 with text/plain; invalid UTF-8 is a PayloadError.
func Text(s string) Payload {
	if !utf8.ValidString(s) {
		return Payload{err: payloadError("the text is not valid UTF-8; send it with Bytes if it is binary")}
	}
	return Payload{data: []byte(s), contentType: "text/plain; charset=utf-8"}
}

// JSON sends v as compact JSON with application/json; NaN, infinities and values encoding/json
// cannot marshal are a PayloadError.
func JSON(v any) Payload {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return Payload{err: payloadError("cannot send %T as JSON: %v", v, err)}
	}
	return Payload{data: bytes.TrimSuffix(buf.Bytes(), []byte("\n")), contentType: "application/json"}
}

// Request is one call for Do. The zero value sends an empty body to the service path.
type Request struct {
	Body       Payload           // Bytes, Text, JSON, or a tensor payload
	Path       string            // sub-path appended to the service path
	Params     []Param           // query parameters, after the endpoint's own
	Header     map[string]string // per-call headers; never modified
	Timeout    time.Duration     // per-attempt timeout; 0 uses the client's
	MaxRetries *int              // nil uses the client's

	hook *dispatch // an adaptive batch's item (ADAPT-5); nil for every other call
}

// Response is a successful (2xx) answer.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
}

// Client calls one EAS service. It is safe for concurrent use; Close it when done.
type Client struct {
	ep      *endpoint
	cfg     config
	creds   *credentials // the token; shown as "***" by every format verb
	http    *http.Client
	owned   *http.Transport // nil with WithHTTPClient
	disc    *discoverer
	created time.Time
	logger  *slog.Logger
	fresh   *http.Client  // CONN-1 resends: the owned transport's settings, never a pooled connection
	budget  *sharedBudget // nil: no retry budget

	origin, serviceURL string // built once: every gateway call uses them

	closed atomic.Bool // read by every call: an atomic, not a lock the batch workers contend on
}

// NewClient builds a client for endpoint (or EAS_ENDPOINT) with token (or EAS_TOKEN; none
// when both are empty). Every configuration mistake is returned here as a ConfigError.
//
//	c, err := eas.NewClient("http://127.0.0.1:8000", os.Getenv("EAS_TOKEN"), eas.WithServiceName("demo"))
//	if err != nil { log.Fatal(err) }
//	defer c.Close()
//	out, err := c.Predict(ctx, []byte("2 105"))
func NewClient(endpoint, token string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if len(cfg.problems) > 0 {
		return nil, cfg.problems[0]
	}
	if endpoint == "" {
		endpoint = os.Getenv("EAS_ENDPOINT")
	}
	if token == "" {
		token = os.Getenv("EAS_TOKEN")
	}
	if cfg.serviceName == "" {
		cfg.serviceName = os.Getenv("EAS_SERVICE_NAME")
	}
	ep, err := parseEndpoint(endpoint, cfg.serviceName)
	if err != nil {
		return nil, err
	}
	if token != "" {
		if err := checkToken(token); err != nil {
			return nil, err
		}
	}
	if cfg.signature && token == "" {
		return nil, configError("signed mode needs a token; pass one or set EAS_TOKEN")
	}
	if err := checkHeaders(cfg.headers, token != ""); err != nil {
		return nil, err
	}
	if cfg.direct && ep.service == "" {
		return nil, configError("direct mode needs a service; pass WithServiceName or an endpoint with /api/predict/<service>")
	}
	if cfg.rand == nil {
		cfg.rand = rand.Float64
	}
	if cfg.clock == nil {
		cfg.clock = time.Now
	}
	c := &Client{ep: ep, cfg: cfg, creds: &credentials{token: token}, created: time.Now(), logger: cfg.logger}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.budget != nil {
		c.budget = newSharedBudget(*cfg.budget, c.monoSeconds())
	}
	if cfg.httpClient != nil {
		c.http = cfg.httpClient
	} else {
		noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.owned = newTransport(cfg)
		c.http = &http.Client{Transport: c.owned, CheckRedirect: noRedirect}
		fresh := c.owned.Clone()
		fresh.DisableKeepAlives = true
		c.fresh = &http.Client{Transport: fresh, CheckRedirect: noRedirect}
	}
	if cfg.direct {
		c.disc = newDiscoverer(c)
	}
	c.creds.octetHeader = c.buildHeader("application/octet-stream", nil)
	c.origin, c.serviceURL = ep.origin(), ep.url()
	return c, nil
}

// newTransport is tuned for one service: enough idle connections for a full batch (Go's
// default of 2 per host would reconnect under PredictMany), HTTP/1.1 keep-alive.
func newTransport(cfg config) *http.Transport {
	dialer := &net.Dialer{Timeout: cfg.connectTimeout, KeepAlive: 30 * time.Second}
	idle := max(64, cfg.concurrency*2)
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        idle * 4,
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.connectTimeout,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		// The client does not ask for compression (HTTP-3) and decodes a gzip answer itself
		// (readGzip), so a 2xx stream is handed over as sent (STREAM-7).
		DisableCompression: true,
	}
}

// String shows the client without its token.
func (c *Client) String() string {
	tok := "none"
	if c.creds.token != "" {
		tok = mask
	}
	return fmt.Sprintf("eas.Client{url=%s token=%s direct=%t}", c.ep.url(), tok, c.cfg.direct)
}

// GoString keeps %#v from printing the token.
func (c *Client) GoString() string { return c.String() }

// URL is the service URL calls go to (the discovery server's origin in direct mode).
func (c *Client) URL() string { return c.ep.url() }

// Close stops a background discovery refresh (waiting for it) and releases idle connections
// of the client's own transport; calls after Close fail. No goroutine of the client survives it.
func (c *Client) Close() error {
	c.closed.Store(true)
	if c.disc != nil {
		c.disc.close()
	}
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	}
	return nil
}

func (c *Client) isClosed() bool {
	return c.closed.Load()
}

func (c *Client) now() time.Time { return c.cfg.clock() }

// mono is the time since the client was made, on the monotonic clock.
func (c *Client) mono() time.Duration { return time.Since(c.created) }

func (c *Client) log(ctx context.Context, msg string, args ...any) {
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.DebugContext(ctx, msg, args...)
	}
}

// Predict sends body as application/octet-stream and returns the answer's body.
//
//	out, err := c.Predict(ctx, []byte(`{"x": 1}`))
func (c *Client) Predict(ctx context.Context, body []byte) ([]byte, error) {
	req := Request{Body: Bytes(body)}
	resp, err := c.do(ctx, &req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// PredictTF sends a TensorFlow request and decodes the answer.
func (c *Client) PredictTF(ctx context.Context, req *TFRequest) (*TFResponse, error) {
	if req == nil {
		return nil, payloadError("PredictTF needs a request; build one with NewTFRequest")
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, &Request{Body: Bytes(body)})
	if err != nil {
		return nil, err
	}
	return DecodeTFResponse(resp.Body)
}

// PredictTorch sends a PyTorch request and decodes the answer.
func (c *Client) PredictTorch(ctx context.Context, req *TorchRequest) (*TorchResponse, error) {
	if req == nil {
		return nil, payloadError("PredictTorch needs a request; build one with NewTorchRequest")
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, &Request{Body: Bytes(body)})
	if err != nil {
		return nil, err
	}
	return DecodeTorchResponse(resp.Body)
}

// prepared is everything about a call that stays the same across attempts.
type prepared struct {
	path, query string
	body        []byte
	header      http.Header // without the per-attempt signature
	contentType string
	stream      *streamStart // a stream call (STREAM-1): the 2xx body is handed over unread
}

// prepare validates a call and builds its headers (HDR-1 … 3, AUTH-1).
func (c *Client) prepare(req *Request) (prepared, error) {
	if req.Body.err != nil {
		return prepared{}, req.Body.err
	}
	path, query, err := c.ep.requestTarget(req.Path, req.Params)
	if err != nil {
		return prepared{}, err
	}
	if err := checkHeaders(req.Header, c.creds.token != ""); err != nil {
		return prepared{}, err
	}
	ct := req.Body.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := c.creds.octetHeader
	if len(req.Header) > 0 || ct != "application/octet-stream" {
		h = c.buildHeader(ct, req.Header)
	}
	return prepared{path: path, query: query, body: req.Body.data, header: h, contentType: h.Get("Content-Type")}, nil
}

// buildHeader layers the defaults, the client's headers and the call's (HDR-1 … 3, AUTH-1).
func (c *Client) buildHeader(contentType string, call map[string]string) http.Header {
	h := http.Header{}
	h.Set("User-Agent", c.cfg.userAgent)
	h.Set("Content-Type", contentType)
	if c.creds.token != "" && !c.cfg.signature {
		h.Set("Authorization", c.creds.token)
	}
	for _, layer := range []map[string]string{c.cfg.headers, call} {
		for name, value := range layer {
			h.Set(name, value) // canonical keys: replaces any letter case (HDR-3)
		}
	}
	return h
}

// attemptHeader is the header for one attempt: a fresh signature in signed mode (AUTH-3).
// In raw mode over the client's own transport it is the shared, read-only prepared header; a
// caller's http.Client may hold a RoundTripper that edits headers, so it gets a copy.
func (c *Client) attemptHeader(p *prepared) http.Header {
	h := p.header
	if c.owned == nil && !c.cfg.signature {
		h = h.Clone()
	}
	if c.cfg.signature {
		h = h.Clone()
		s := sign(c.creds.token, p.body, p.contentType, c.now(), p.path)
		h.Set("Content-MD5", s.contentMD5)
		h.Set("Date", s.date)
		h.Set("Authorization", s.authorization)
	}
	return h
}

// Do sends one call with retries and returns the 2xx answer or an *Error.
//
//	resp, err := c.Do(ctx, &eas.Request{Body: eas.JSON(map[string]any{"x": 1}), Path: "v1/chat"})
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		req = &Request{}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return &resp, nil
}

// do is Do returning the answer by value, so Predict and batches allocate no Response.
func (c *Client) do(ctx context.Context, req *Request) (Response, error) {
	return c.call(ctx, req, nil)
}

// call runs the one retry loop of every call. With st it is a stream call (STREAM-1, STREAM-2):
// a 2xx answer's body is left unread in st, everything before it is a predict call's.
func (c *Client) call(ctx context.Context, req *Request, st *streamStart) (Response, error) {
	if ctx == nil {
		return Response{}, configError("Do needs a context; pass context.Background() when there is none")
	}
	if c.isClosed() {
		return Response{}, configError("the client is closed; make a new one")
	}
	p, err := c.prepare(req)
	if err != nil {
		if e, ok := asError(err); ok {
			e.Endpoint = c.ep.url()
		}
		return Response{}, err
	}
	if st != nil {
		p.header, p.stream = acceptEventStream(p.header), st
	}
	pol := c.cfg.policy
	if req.MaxRetries != nil {
		if *req.MaxRetries < 0 {
			return Response{}, configError("MaxRetries %d must be 0 or more", *req.MaxRetries)
		}
		pol.maxRetries = *req.MaxRetries
	}
	timeout := c.cfg.timeout
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	start := time.Now()
	h := req.hook
	if h != nil {
		start = h.started() // RETRY-6 counts from the item's first dispatch (ADAPT-5)
	}
	if st != nil {
		st.timeout = timeout
		if pol.deadline > 0 {
			st.deadline = start.Add(pol.deadline)
		}
	}
	exclude := ""
	var last *Error
	for attempt := 1; ; attempt++ {
		elapsed := time.Since(start)
		attemptTimeout := timeout
		if pol.deadline > 0 {
			attemptTimeout = min(timeout, pol.deadline-elapsed)
		}
		base, key := c.origin, ""
		if c.disc != nil {
			if err := c.disc.ready(ctx); err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return Response{}, c.contextError(ctxErr, attempt-1, err, last)
				}
				if e, ok := asError(err); ok {
					e.Attempts = attempt - 1
				}
				return Response{}, err
			}
			inst, err := c.disc.pick(exclude)
			if err != nil {
				return Response{}, err
			}
			base, key = "http://"+inst.hostPort(), inst.key()
		}
		var url string
		if key == "" && p.path == c.ep.path && p.query == c.ep.query {
			url = c.serviceURL // the common call: no sub-path or params, built once
		} else {
			url = base + p.path
			if p.query != "" {
				url += "?" + p.query
			}
		}
		if attempt == 1 && c.budget != nil && (h == nil || h.deposits()) {
			c.budget.deposit(c.monoSeconds()) // BUDGET-3: once per call, at its first attempt
		}
		var epochSent int
		var sent time.Time
		if h != nil {
			epochSent, sent = h.epoch(), time.Now()
		}
		resp, answered, kind, cause := c.attempt(ctx, url, &p, attemptTimeout)
		if ctxErr := ctx.Err(); ctxErr != nil && !answered {
			return Response{}, c.contextError(ctxErr, attempt, cause, last)
		}
		var o outcome
		if answered {
			o = outcome{status: resp.Status}
			if vals, ok := resp.Header["Retry-After"]; ok && len(vals) > 0 {
				o.retryAfter, o.hasRA = vals[0], true
			}
			resp.Attempts = attempt
		} else {
			o = outcome{errKind: kind}
		}
		if c.disc != nil {
			c.disc.report(key, kind, answered)
			exclude = key
		}
		if h != nil && h.observe(o, time.Since(sent), epochSent, c.now()) {
			// ADAPT-5: a 450/429 ends the dispatch without a retry decision; the batch puts it back.
			last = statusError(resp.Status, resp.Header, resp.Body, c.ep.service, c.ep.url(), c.creds.token, attempt)
			c.log(ctx, "eas attempt", "url", url, "attempt", attempt, "status", resp.Status, "decision", "put back")
			return Response{}, h.putBack(last, attempt, pol.deadline)
		}
		var d decision
		if o.errKind == "" && o.status >= 200 && o.status <= 299 {
			d = decision{action: actionReturn, reason: "success"} // skips the clock and jitter reads
		} else {
			d = pol.decide(o, attempt, time.Since(start), c.cfg.rand(), c.now())
			if d.action == actionRetry && c.budget != nil {
				d = c.spendBudget(ctx, d) // BUDGET-2: only after the policy says "retry"
			}
		}
		// Checked here, not in log: building the arguments allocates even when nothing is logged.
		if c.logger.Enabled(ctx, slog.LevelDebug) {
			if answered {
				c.log(ctx, "eas attempt", "url", url, "attempt", attempt, "status", resp.Status, "decision", d.reason)
			} else {
				c.log(ctx, "eas attempt", "url", url, "attempt", attempt, "error", string(kind), "decision", d.reason)
			}
		}
		if d.action == actionReturn {
			return resp, nil
		}
		if answered {
			last = statusError(resp.Status, resp.Header, resp.Body, c.ep.service, c.ep.url(), c.creds.token, attempt)
		} else {
			last = c.transportError(kind, cause, attempt)
		}
		if d.action == actionRaise {
			if d.deadlineHit {
				why := "leaves no time for another retry"
				if kind == ErrorTimeout {
					why = "ended the last attempt"
				}
				return Response{}, &Error{Kind: KindDeadlineExceeded, Status: last.Status, RequestID: last.RequestID,
					Attempts: attempt, Body: last.Body, Endpoint: c.ep.url(), Err: last,
					Message: fmt.Sprintf("the call's deadline of %v %s; last error: %s", pol.deadline, why, last.Message)}
			}
			if d.budgetDenied {
				last.BudgetExhausted = true
				last.Message += c.budget.exhaustedSuffix()
			}
			return Response{}, last
		}
		if err := sleep(ctx, d.delay); err != nil {
			return Response{}, c.contextError(err, attempt, nil, last)
		}
	}
}

// attempt sends one request; it returns the answer (any status) or a transport failure. The
// timeout bounds the whole attempt, from sending to the last body byte (TIMEOUT-1).
func (c *Client) attempt(ctx context.Context, url string, p *prepared, timeout time.Duration) (Response, bool, ErrorKind, error) {
	if p.stream != nil {
		return c.attemptStream(ctx, url, p, timeout)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, answered, kind, err, resend := c.send(actx, url, p, c.http)
	if resend {
		// CONN-1: the server closed a kept-alive connection as the request went out; send it
		// again at once, once, on a fresh connection. Not a retry: no backoff, not counted.
		c.log(ctx, "eas resend on a fresh connection", "url", url, "error", string(kind))
		resp, answered, kind, err, _ = c.send(actx, url, p, c.fresh)
	}
	return resp, answered, kind, err
}

// connTrace records whether a request went out on a reused connection and whether any byte of
// the answer arrived, which is what CONN-1 needs to know.
// The transport calls GotFirstResponseByte on its read goroutine, hence the atomics.
// Traces are pooled, hooks and all, to keep their allocations off every call.
type connTrace struct {
	reused, gotByte atomic.Bool
	trace           httptrace.ClientTrace
}

var connTraces = sync.Pool{New: func() any {
	t := &connTrace{}
	t.trace.GotConn = func(info httptrace.GotConnInfo) { t.reused.Store(info.Reused) }
	t.trace.GotFirstResponseByte = func() { t.gotByte.Store(true) }
	return t
}}

func newConnTrace() *connTrace {
	t := connTraces.Get().(*connTrace)
	t.reused.Store(false)
	t.gotByte.Store(false)
	return t
}

// send makes one HTTP exchange through hc. resend reports a failure CONN-1 answers with a
// resend: a reset or close on a reused connection before any response byte. hc is nil for a
// resend the client cannot make (a caller's http.Client, or a resend already made).
func (c *Client) send(actx context.Context, url string, p *prepared, hc *http.Client) (resp Response, answered bool, kind ErrorKind, err error, resend bool) {
	if hc == nil {
		hc = c.http
	}
	var tr *connTrace
	reqCtx := actx
	if hc != c.fresh && c.fresh != nil {
		tr = newConnTrace()
		reqCtx = httptrace.WithClientTrace(actx, &tr.trace)
	}
	hr, err := http.NewRequestWithContext(reqCtx, http.MethodPost, url, bytes.NewReader(p.body))
	if err != nil {
		return Response{}, false, ErrorConnect, err, false
	}
	// CONN-1 is made here, once and counted; the transport must not replay the body itself.
	hr.GetBody = nil
	hr.Header = c.attemptHeader(p)
	hresp, err := hc.Do(hr)
	if err != nil {
		kind = classify(err, actx)
		// The trace goes back to the pool only on the success path below: after an error the
		// transport's goroutines may still hold the request for a moment.
		resend = tr != nil && kind == ErrorReset && tr.reused.Load() && !tr.gotByte.Load() && actx.Err() == nil
		return Response{}, false, kind, err, resend
	}
	if p.stream != nil && hresp.StatusCode >= 200 && hresp.StatusCode <= 299 {
		p.stream.resp = hresp // read by the Stream; the trace stays with the live request
		return Response{Status: hresp.StatusCode, Header: hresp.Header}, true, "", nil, false
	}
	body, kind, err := c.readBody(hresp, actx)
	if tr != nil && err == nil {
		connTraces.Put(tr)
	}
	if err != nil {
		return Response{}, false, kind, err, false
	}
	return Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}, true, "", nil, false
}

// errTooLarge is the cause of a ResponseTooLargeError; the message says the cap and the fix.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than the %d-byte cap (after decoding); raise it with WithMaxResponseBytes, or WithNoResponseLimit for a trusted service", e.limit)
}

// readBody reads and closes the answer's body within the size cap (LIMIT-1). A body past the
// cap is closed unread, so the transport drops the connection instead of reusing it.
func (c *Client) readBody(resp *http.Response, actx context.Context) ([]byte, ErrorKind, error) {
	defer resp.Body.Close()
	limit := c.cfg.maxResponseBytes
	n := resp.ContentLength // -1 when unknown, and after a caller's transport decoded gzip
	encoding := resp.Header.Get("Content-Encoding")
	if limit > 0 && n > limit && encoding == "" {
		return nil, ErrorTooLarge, errTooLarge{limit}
	}
	if strings.EqualFold(encoding, "gzip") {
		return c.readGzip(resp, actx)
	}
	if n >= 0 {
		// The declared length sizes the buffer once; reading on to EOF lets the transport
		// keep the connection.
		body := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, classify(err, actx), err
		}
		// A zero-length read at the end meets EOF, so the transport sees the body done
		// even when the last data read did not report EOF with it.
		if _, err := resp.Body.Read(body[n:]); err != nil && err != io.EOF {
			return nil, classify(err, actx), err
		}
		return body, "", nil
	}
	var r io.Reader = resp.Body
	if limit > 0 {
		r = io.LimitReader(resp.Body, limit+1) // decoded bytes: a gzip bomb stops here
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, classify(err, actx), err
	}
	if limit > 0 && int64(len(body)) > limit {
		return nil, ErrorTooLarge, errTooLarge{limit}
	}
	return body, "", nil
}

// readGzip decodes a gzip answer (HTTP-3) within the size cap, counted after decoding
// (LIMIT-1), so a small compressed body cannot expand past it. The client's own transport never
// asks for compression nor decodes (a 2xx stream comes as sent, STREAM-7): this is the one place
// an answer is decoded, as the transport did it before (Content-Encoding and Content-Length go).
func (c *Client) readGzip(resp *http.Response, actx context.Context) ([]byte, ErrorKind, error) {
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		return nil, classify(err, actx), err
	}
	var r io.Reader = zr
	limit := c.cfg.maxResponseBytes
	if limit > 0 {
		r = io.LimitReader(zr, limit+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, classify(err, actx), err
	}
	if limit > 0 && int64(len(body)) > limit {
		return nil, ErrorTooLarge, errTooLarge{limit}
	}
	var rest [1]byte
	resp.Body.Read(rest[:]) // meets the body's EOF, so the connection can be kept
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	return body, "", nil
}

// classify maps a transport error to its retry kind (RETRY-2).
func classify(err error, actx context.Context) ErrorKind {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return ErrorConnect
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return ErrorConnect
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) || context.Cause(actx) == errStreamTimer {
		return ErrorTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrorTimeout
	}
	return ErrorReset
}

var transportKinds = map[ErrorKind]Kind{ErrorConnect: KindConnect, ErrorReset: KindRead, ErrorTimeout: KindReadTimeout,
	ErrorTooLarge: KindResponseTooLarge}

var transportHints = map[ErrorKind]string{
	ErrorConnect:  "cannot connect; check the endpoint, the network and that the service is running",
	ErrorReset:    "the connection broke before a full answer; retry later",
	ErrorTimeout:  "no full answer within the timeout; raise WithTimeout or retry (the service may still be working)",
	ErrorTooLarge: "the answer is too large",
}

func (c *Client) transportError(kind ErrorKind, cause error, attempts int) *Error {
	detail := ""
	var shown error
	if cause != nil {
		// The engine's error is described, then dropped for a data-free Cause (SEC-4).
		sc := newCause(cause, c.creds.token)
		detail, shown = " ("+sc.Text+")", sc
	}
	return &Error{Kind: transportKinds[kind], Attempts: attempts, Endpoint: c.ep.url(), Err: shown,
		Message: fmt.Sprintf("%s %s%s", transportHints[kind], c.ep.url(), detail)}
}

// contextError reports the caller's context ending the call (RETRY-8): the context's own
// error, wrapped so errors.Is finds context.Canceled or context.DeadlineExceeded; it is not an
// *Error because the client did not fail.
func (c *Client) contextError(ctxErr error, attempts int, cause error, last *Error) error {
	msg := fmt.Sprintf("eas: the call to %s was stopped by its context after %d attempt(s)", c.ep.url(), attempts)
	if last != nil {
		msg += "; last error: " + last.Message
	}
	return fmt.Errorf("%s: %w", msg, ctxErr)
}

// sleep waits d or until ctx ends; it returns at once when ctx's deadline comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ptr returns a pointer to v, for optional Request fields: eas.Ptr(0).
func Ptr[T any](v T) *T { return &v }
