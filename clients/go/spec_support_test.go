package eas

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// specDir is the shared contract, two levels up from this module.
var specDir = filepath.Join("..", "..", "spec")

// specCase is one case of a vector or scenario file.
type specCase struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Rules       []string        `json:"rules"`
	Input       json.RawMessage `json:"input"`
	Expect      json.RawMessage `json:"expect"`
	Comment     string          `json:"comment"`
}

type specFile struct {
	Description string     `json:"description"`
	Cases       []specCase `json:"cases"`
}

// obj is a decoded JSON object with numbers kept exact.
type obj map[string]any

func decodeObj(raw json.RawMessage) (obj, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return obj(m), nil
}

func toObj(v any) obj {
	m, _ := v.(map[string]any)
	return obj(m)
}

// only fails on keys the runner does not understand, so a new spec field is never ignored.
func (o obj) only(where string, keys ...string) error {
	allowed := map[string]bool{}
	for _, k := range keys {
		allowed[k] = true
	}
	var unknown []string
	for k := range o {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("the Go runner does not understand %s keys %v", where, unknown)
	}
	return nil
}

func (o obj) has(k string) bool { _, ok := o[k]; return ok }

func (o obj) str(k string) (string, bool) {
	s, ok := o[k].(string)
	return s, ok
}

func num(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	case int:
		return float64(x)
	}
	return math.NaN()
}

func (o obj) num(k string) float64 { return num(o[k]) }
func (o obj) int(k string) int     { return int(o.num(k)) }
func (o obj) dur(k string) time.Duration {
	return time.Duration(math.Round(o.num(k) * float64(time.Second)))
}

func (o obj) list(k string) []any {
	l, _ := o[k].([]any)
	return l
}

func (o obj) strMap(k string) map[string]string {
	out := map[string]string{}
	for name, v := range toObj(o[k]) {
		out[name], _ = v.(string)
	}
	return out
}

// specBytes decodes {"hex"}, {"text"} or {"json"} (protocol.md §10).
func specBytes(v any) ([]byte, error) {
	o := toObj(v)
	if o == nil {
		return nil, fmt.Errorf("bytes spec %v is not an object", v)
	}
	if len(o) != 1 {
		return nil, fmt.Errorf("bytes spec %v must have exactly one key", v)
	}
	switch {
	case o.has("hex"):
		s, _ := o.str("hex")
		return hex.DecodeString(s)
	case o.has("text"):
		s, _ := o.str("text")
		return []byte(s), nil
	case o.has("json"):
		return compactJSON(o["json"])
	}
	return nil, fmt.Errorf("the Go runner does not understand bytes spec %v", v)
}

// compactJSON re-encodes a decoded value compactly; objects keep their order only when
// passed as json.RawMessage, so callers that care use rawField.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// rawField returns a field of a raw JSON object without decoding it, keeping key order.
func rawField(raw json.RawMessage, path ...string) (json.RawMessage, bool) {
	cur := raw
	for _, p := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(cur, &m) != nil {
			return nil, false
		}
		next, ok := m[p]
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// escapedToWTF8 decodes a JSON string body whose \u escapes may hold lone surrogates into the
// bytes Go would hold for such a string: the surrogate's 3-byte (invalid UTF-8) form.
func escapedToWTF8(s string) []byte {
	var out []byte
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], `\u`) && i+6 <= len(s) {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				r := rune(n)
				if utf16.IsSurrogate(r) {
					out = append(out, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
				} else {
					out = append(out, string(r)...)
				}
				i += 6
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// specPayload turns a scenario or header vector's data into a Payload.
func specPayload(raw json.RawMessage) (Payload, error) {
	d, err := decodeObj(raw)
	if err != nil {
		return Payload{}, err
	}
	if len(d) != 1 {
		return Payload{}, fmt.Errorf("data %s must have exactly one key", raw)
	}
	switch {
	case d.has("hex"):
		b, err := specBytes(map[string]any(d))
		return Bytes(b), err
	case d.has("text"):
		s, _ := d.str("text")
		return Text(s), nil
	case d.has("invalid_text_hex"):
		h, _ := d.str("invalid_text_hex")
		b, err := hex.DecodeString(h)
		return Text(string(b)), err
	case d.has("json"):
		v, _ := rawField(raw, "json")
		return JSON(v), nil
	case d.has("nonfinite_json"):
		s, _ := d.str("nonfinite_json")
		f, err := specFloat(s)
		return JSON([]any{f}), err
	case d.has("unsupported"):
		// A value of a type the client does not send: for Go a chan (protocol.md §10).
		return JSON(make(chan int)), nil
	case d.has("tensor"):
		r, err := buildTensorRequest(toObj(d["tensor"]))
		if err != nil {
			return Payload{}, err
		}
		b, err := r.Marshal()
		if err != nil {
			return Payload{err: err}, nil
		}
		return Bytes(b), nil
	}
	return Payload{}, fmt.Errorf("the Go runner does not understand data %s", raw)
}

// bytesMatch compares got with a bytes spec: hex and text byte for byte, json structurally
// (equal as JSON, no whitespace between tokens), protocol.md §10.
func bytesMatch(spec any, got []byte) error {
	o := toObj(spec)
	if o.has("json") && len(o) == 1 {
		var g any
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.UseNumber()
		if err := dec.Decode(&g); err != nil {
			return fmt.Errorf("body %q is not JSON: %v", got, err)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, got)
		if compact.Len() != len(got) {
			return fmt.Errorf("body %q has whitespace between tokens", got)
		}
		if !jsonEqual(g, o["json"]) {
			return fmt.Errorf("body %s, want %v", got, o["json"])
		}
		return nil
	}
	want, err := specBytes(spec)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, got) {
		return fmt.Errorf("body %q, want %q", got, want)
	}
	return nil
}

func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return fx == fy
	}
	return a == b
}

// errorKindIs checks an error against a spec class name.
func errorKindIs(err error, want string) error {
	if err == nil {
		return fmt.Errorf("want %s, got no error", want)
	}
	e, ok := asError(err)
	if !ok {
		return fmt.Errorf("want %s, got a non-eas error %T: %v", want, err, err)
	}
	if e.Kind.String() != want {
		return fmt.Errorf("want %s, got %s: %v", want, e.Kind, e)
	}
	return nil
}

// --- known-failing and not-applicable lists ---

type globList struct {
	globs   []string
	reasons []string
}

func loadGlobList(path string) (globList, error) {
	var l globList
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		glob, reason, _ := strings.Cut(line, " ")
		if _, err := filepath.Match(glob, ""); err != nil {
			return l, fmt.Errorf("%s: bad glob %q", path, glob)
		}
		l.globs = append(l.globs, glob)
		l.reasons = append(l.reasons, strings.TrimSpace(reason))
	}
	return l, nil
}

func (l globList) match(id string) (string, bool) {
	for i, g := range l.globs {
		if ok, _ := filepath.Match(g, id); ok {
			return l.reasons[i], true
		}
	}
	return "", false
}

// --- the scripted server ---

type scriptedReply struct {
	status     int
	headers    map[string]string
	body       []byte
	delay      time.Duration
	drip       time.Duration // pause before each body byte (§10 drip_ms)
	closeAfter bool          // close the connection after this reply, without saying so
	omitLength bool          // no Content-Length: the body ends when the connection closes
	reset      bool
	echo       bool
	when       []byte // answers only a request with exactly this body
	hasWhen    bool
	used       bool
	chunks     []replyChunk // a streamed reply (§10 chunks): one HTTP chunk each
	end        string       // after the chunks: "" the last chunk, "reset" an RST, "close" a FIN
}

type replyChunk struct {
	data  []byte
	delay time.Duration
}

type seenRequest struct {
	seq    int64
	proto  string
	length int64
	te     []string
	method string
	path   string
	query  string
	header http.Header
	body   []byte
	conn   int // the connection's number, in the order first requests arrived
}

var seenSeq struct {
	sync.Mutex
	n int64
}

// scriptedServer answers with its replies in order, then with fallback, and records requests.
type scriptedServer struct {
	srv         *httptest.Server
	mu          sync.Mutex
	replies     []scriptedReply
	seen        []seenRequest
	fallback    *scriptedReply
	inFlight    int
	maxInFlight int
	conns       map[string]int // remote address -> connection number
}

func newScriptedServer(replies []scriptedReply, fallback *scriptedReply) *scriptedServer {
	s := &scriptedServer{replies: replies, fallback: fallback}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *scriptedServer) origin() string { return s.srv.URL }

func (s *scriptedServer) port() int {
	_, p, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

func (s *scriptedServer) peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *scriptedServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

func (s *scriptedServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	seenSeq.Lock()
	seenSeq.n++
	seq := seenSeq.n
	seenSeq.Unlock()
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[string]int{}
	}
	conn, ok := s.conns[r.RemoteAddr]
	if !ok {
		conn = len(s.conns)
		s.conns[r.RemoteAddr] = conn
	}
	s.seen = append(s.seen, seenRequest{seq: seq, proto: r.Proto, length: r.ContentLength, te: r.TransferEncoding,
		method: r.Method, path: r.RequestURI, query: "", header: r.Header.Clone(), body: body, conn: conn})
	if i := strings.IndexByte(r.RequestURI, '?'); i >= 0 {
		s.seen[len(s.seen)-1].path, s.seen[len(s.seen)-1].query = r.RequestURI[:i], r.RequestURI[i+1:]
	}
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	reply := scriptedReply{status: 200, body: []byte("ok")}
	if s.fallback != nil {
		reply = *s.fallback
	}
	for i := range s.replies {
		if r := &s.replies[i]; !r.used && (!r.hasWhen || bytes.Equal(r.when, body)) {
			r.used = true
			reply = *r
			break
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if reply.echo {
		reply.body = body
	}
	if reply.delay > 0 {
		select {
		case <-time.After(reply.delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.reset {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // an RST, not a clean FIN
			}
			conn.Close()
		}
		return
	}
	if reply.closeAfter || reply.omitLength {
		s.serveRaw(w, r, reply)
		return
	}
	if reply.chunks != nil {
		serveChunks(w, r, reply)
		return
	}
	for k, v := range reply.headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(reply.body)))
	w.WriteHeader(reply.status)
	if reply.drip <= 0 {
		_, _ = w.Write(reply.body)
		return
	}
	flusher := w.(http.Flusher)
	flusher.Flush()
	for i := range reply.body {
		select {
		case <-time.After(reply.drip):
		case <-r.Context().Done():
			return
		}
		if _, err := w.Write(reply.body[i : i+1]); err != nil {
			return
		}
		flusher.Flush()
	}
}

// serveRaw writes the reply on the hijacked connection and closes it in order (a FIN): how a
// server that drops keep-alive connections, or ends an unframed body by closing, behaves.
func (s *scriptedServer) serveRaw(w http.ResponseWriter, r *http.Request, reply scriptedReply) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", reply.status, http.StatusText(reply.status))
	for k, v := range reply.headers {
		fmt.Fprintf(buf, "%s: %s\r\n", k, v)
	}
	if !reply.omitLength {
		fmt.Fprintf(buf, "Content-Length: %d\r\n", len(reply.body))
	}
	buf.WriteString("\r\n")
	if reply.drip <= 0 {
		buf.Write(reply.body)
		_ = buf.Flush()
		return
	}
	_ = buf.Flush()
	for i := range reply.body {
		time.Sleep(reply.drip)
		if _, err := conn.Write(reply.body[i : i+1]); err != nil {
			return
		}
	}
}

// serveChunks sends a streamed reply: each chunk flushed as one HTTP chunk after its delay, then
// the last chunk, or an abrupt end without it (§10). A client that closed the stream ends the
// reply quietly (STREAM-6).
func serveChunks(w http.ResponseWriter, r *http.Request, reply scriptedReply) {
	for k, v := range reply.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.status)
	flusher := w.(http.Flusher)
	flusher.Flush()
	for _, c := range reply.chunks {
		if c.delay > 0 {
			select {
			case <-time.After(c.delay):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := w.Write(c.data); err != nil {
			return
		}
		flusher.Flush()
	}
	switch reply.end {
	case "reset":
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0)
			}
			conn.Close()
		}
	case "close":
		// An orderly close (a FIN) without the last chunk.
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func parseReply(v any) (scriptedReply, error) {
	o := toObj(v)
	if err := o.only("reply", "status", "headers", "body", "reset", "delay_ms", "echo", "when",
		"drip_ms", "body_repeat", "close_after", "omit_length", "chunks", "end"); err != nil {
		return scriptedReply{}, err
	}
	r := scriptedReply{status: 200, headers: o.strMap("headers")}
	if o.has("chunks") {
		r.chunks = []replyChunk{}
		for _, c := range o.list("chunks") {
			co := toObj(c)
			if err := co.only("chunk", "data", "delay_ms"); err != nil {
				return r, err
			}
			b, err := specBytes(co["data"])
			if err != nil {
				return r, err
			}
			ch := replyChunk{data: b}
			if co.has("delay_ms") {
				ch.delay = time.Duration(co.num("delay_ms") * float64(time.Millisecond))
			}
			r.chunks = append(r.chunks, ch)
		}
		r.end, _ = o.str("end")
	}
	if o.has("status") {
		r.status = o.int("status")
	}
	if o.has("body") {
		b, err := specBytes(o["body"])
		if err != nil {
			return r, err
		}
		r.body = b
	}
	if o.has("body_repeat") {
		br := toObj(o["body_repeat"])
		if err := br.only("body_repeat", "byte", "count"); err != nil {
			return r, err
		}
		b, err := hex.DecodeString(mustStr(br, "byte"))
		if err != nil || len(b) != 1 {
			return r, fmt.Errorf("body_repeat byte %v is not two hex digits", br["byte"])
		}
		r.body = bytes.Repeat(b, br.int("count"))
	}
	if o.has("drip_ms") {
		r.drip = time.Duration(o.num("drip_ms") * float64(time.Millisecond))
	}
	r.closeAfter, _ = o["close_after"].(bool)
	r.omitLength, _ = o["omit_length"].(bool)
	r.reset, _ = o["reset"].(bool)
	r.echo, _ = o["echo"].(bool)
	if o.has("when") {
		w, err := specBytes(o["when"])
		if err != nil {
			return r, err
		}
		r.when, r.hasWhen = w, true
	}
	if o.has("delay_ms") {
		r.delay = time.Duration(o.num("delay_ms") * float64(time.Millisecond))
	}
	return r, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
