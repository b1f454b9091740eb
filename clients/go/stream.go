package eas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// errStreamTimer is the cause a stream's timer cancels its request with: the wait for the
// headers, or a gap between body bytes, ran past the timeout or the deadline (STREAM-4, 5).
var errStreamTimer = errors.New("eas: stream timer")

// streamStart carries a stream call through the retry loop: its time bounds in, and the 2xx
// response with the request's context and timer out.
type streamStart struct {
	timeout  time.Duration
	deadline time.Time // zero: none
	resp     *http.Response
	ctx      context.Context
	cancel   context.CancelCauseFunc
	timer    *time.Timer
}

// acceptEventStream adds Accept: text/event-stream unless the caller set an Accept (STREAM-1).
func acceptEventStream(h http.Header) http.Header {
	if _, ok := h["Accept"]; ok {
		return h
	}
	h = h.Clone() // the prepared header may be the client's shared one
	h.Set("Accept", "text/event-stream")
	return h
}

// attemptStream is attempt for a stream call: a timer, not a context deadline, bounds the wait
// for the headers, so that once they arrive the same request can live on with the timer
// re-armed for each gap between body bytes (STREAM-4).
func (c *Client) attemptStream(ctx context.Context, url string, p *prepared, timeout time.Duration) (Response, bool, ErrorKind, error) {
	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(timeout, func() { cancel(errStreamTimer) })
	resp, answered, kind, err, resend := c.send(actx, url, p, c.http)
	if resend {
		c.log(ctx, "eas resend on a fresh connection", "url", url, "error", string(kind))
		resp, answered, kind, err, _ = c.send(actx, url, p, c.fresh)
	}
	timer.Stop()
	st := p.stream
	if st.resp != nil {
		st.ctx, st.cancel, st.timer = actx, cancel, timer
	} else {
		cancel(nil)
	}
	return resp, answered, kind, err
}

// Stream sends req like Do and returns once the headers of a 2xx answer arrived, with the body
// unread (STREAM-1). Before that it is a Do call: a non-2xx answer is read whole and retried or
// returned as Do would, and so are transport failures (STREAM-2). After that nothing is retried
// (STREAM-3): a failure is a StreamError from the reading, carrying what arrived before it.
// The call's timeout bounds the wait for the headers and then each gap between body bytes, not
// the whole stream; WithDeadline bounds the whole stream (STREAM-4, STREAM-5). Unless req sets
// an Accept header, Accept: text/event-stream is sent.
//
// Read the stream one way: events with Next and Event, lines with NextLine and Line, or bytes
// with Read (a Stream is an io.Reader). Always Close it; closing early closes the connection.
// Cancelling ctx closes the connection too.
//
//	s, err := c.Stream(ctx, &eas.Request{Body: eas.JSON(map[string]any{"prompt": "hi"})})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Event().Data)
//	}
//	return s.Err()
func (c *Client) Stream(ctx context.Context, req *Request) (*Stream, error) {
	if req == nil {
		req = &Request{}
	}
	st := &streamStart{}
	resp, err := c.call(ctx, req, st)
	if err != nil {
		return nil, err
	}
	return &Stream{Status: resp.Status, Header: resp.Header, Attempts: resp.Attempts, c: c, callCtx: ctx,
		st: st, body: st.resp.Body}, nil
}

type readMode int

const (
	modeNone readMode = iota
	modeBytes
	modeLines
	modeEvents
)

var modeNames = [...]string{"", "bytes (Read)", "lines (NextLine)", "events (Next)"}

// Stream is the answer of a stream call: the status, headers and attempts of its 2xx answer,
// and the body, read one way as it arrives (STREAM-7, STREAM-8). It never holds the whole body:
// at most one line or event (DefaultMaxLineBytes) is pending. A Stream is read by one goroutine;
// to stop it from another, cancel the context it was made with.
type Stream struct {
	Status   int
	Header   http.Header
	Attempts int

	c       *Client
	callCtx context.Context
	st      *streamStart
	body    io.ReadCloser
	mode    readMode
	n       int64 // body bytes read
	lines   *lineReader
	events  eventParser
	ev      Event
	line    string
	got     eventTail // events delivered, for a StreamError (STREAM-10)
	err     error
	ended   bool
	closed  bool
	// byDeadline says the armed timer is the deadline's, not the idle timeout's.
	byDeadline bool
}

// source reads the body for the line reader, through the stream's timer and error mapping.
type source struct{ s *Stream }

func (r source) Read(p []byte) (int, error) { return r.s.readBody(p) }

// readBody is one read of the body, bounded by the idle timeout or what is left of the deadline
// (STREAM-4, STREAM-5); a failure becomes a StreamError or the caller's context error.
func (s *Stream) readBody(p []byte) (int, error) {
	wait, byDeadline := s.st.timeout, false
	if !s.st.deadline.IsZero() {
		if left := time.Until(s.st.deadline); left < wait {
			wait, byDeadline = left, true
		}
		if wait <= 0 {
			return 0, s.fail(KindStreamTimeout, s.timeoutText(true), nil)
		}
	}
	s.byDeadline = byDeadline
	s.st.timer.Reset(wait)
	n, err := s.body.Read(p)
	s.st.timer.Stop()
	s.n += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	if ctxErr := s.callCtx.Err(); ctxErr != nil {
		return n, s.c.contextError(ctxErr, s.Attempts, err, nil)
	}
	if context.Cause(s.st.ctx) == errStreamTimer {
		return n, s.fail(KindStreamTimeout, s.timeoutText(s.byDeadline), nil)
	}
	return n, s.fail(KindStreamRead, "the connection broke before the end of the stream from "+s.c.ep.url()+
		"; nothing is resent after the answer started (call again to get a new answer)", err)
}

func (s *Stream) timeoutText(byDeadline bool) string {
	if byDeadline {
		return fmt.Sprintf("the call's deadline of %v ended the stream from %s; raise WithDeadline", s.c.cfg.policy.deadline, s.c.ep.url())
	}
	return fmt.Sprintf("no byte of the stream from %s within the timeout of %v; raise the timeout (it bounds each gap, not the whole stream)", s.c.ep.url(), s.st.timeout)
}

// fail builds a StreamError carrying what the stream delivered so far (STREAM-10).
func (s *Stream) fail(kind Kind, msg string, cause error) *Error {
	e := &Error{Kind: kind, Status: s.Status, RequestID: maskToken(requestID(s.Header), s.c.creds.token),
		Attempts: s.Attempts, Endpoint: s.c.ep.url(), Message: maskToken(msg, s.c.creds.token), BytesReceived: s.n,
		Events: s.got.kept(), EventsDelivered: s.got.delivered}
	if cause != nil {
		e.Err = newCause(cause, s.c.creds.token)
	}
	return e
}

// use fixes how the stream is read; a second way is a usage error (STREAM-1), not an *Error.
func (s *Stream) use(m readMode) bool {
	if s.mode == modeNone {
		s.mode = m
	}
	if s.mode != m && s.err == nil {
		s.err = fmt.Errorf("eas: this stream is read as %s already; a stream is read one way", modeNames[s.mode])
	}
	return s.mode == m && s.err == nil && !s.ended && !s.closed
}

// finish ends the reading: at the body's end (err nil) the connection may go back to the pool;
// after a failure it is closed (STREAM-6).
func (s *Stream) finish(err error) {
	s.ended = true
	if err != nil {
		if f, ok := err.(*streamFail); ok {
			err = s.fail(f.kind, f.msg, nil)
		}
		s.err = err
	}
	s.Close()
}

// Read reads the body's bytes as they arrive, unchecked (STREAM-7); io.EOF at its end.
func (s *Stream) Read(p []byte) (int, error) {
	if !s.use(modeBytes) {
		if s.err != nil {
			return 0, s.err
		}
		return 0, io.EOF
	}
	n, err := s.readBody(p)
	if err == io.EOF {
		s.finish(nil)
	} else if err != nil {
		s.finish(err)
	}
	return n, err
}

// NextLine advances to the next line (STREAM-7) and reports whether there is one; Line returns
// it. At the end, or after a failure, it returns false: check Err.
func (s *Stream) NextLine() bool {
	if !s.use(modeLines) {
		return false
	}
	if s.lines == nil {
		s.lines = newLineReader(source{s}, DefaultMaxLineBytes)
	}
	line, err := s.lines.next()
	if err != nil {
		if err == io.EOF {
			err = nil
		}
		s.finish(err)
		return false
	}
	s.line = string(line)
	return true
}

// Line returns the line NextLine advanced to, without its line end.
func (s *Stream) Line() string { return s.line }

// Next advances to the next Server-Sent Event (STREAM-8) and reports whether there is one;
// Event returns it. At the end, or after a failure, it returns false: check Err. An answer whose
// Content-Type is not text/event-stream gives a StreamContentTypeError before any event.
func (s *Stream) Next() bool {
	if !s.next() {
		return false
	}
	s.got.add(s.ev)
	return true
}

// next is Next without counting the event as delivered: the chat helper counts it only once it
// took it without error (STREAM-12).
func (s *Stream) next() bool {
	if !s.use(modeEvents) {
		return false
	}
	if s.lines == nil {
		if ct := s.Header.Get("Content-Type"); !isEventStream(ct) {
			s.finish(s.contentTypeError(ct))
			return false
		}
		s.lines = newLineReader(source{s}, DefaultMaxLineBytes)
		s.events.max, s.got.max = DefaultMaxLineBytes, DefaultMaxLineBytes
	}
	if err := nextEvent(s.lines, &s.events, &s.ev); err != nil {
		if err == io.EOF {
			err = nil
		}
		s.finish(err)
		return false
	}
	return true
}

// contentTypeError reads the answer whole within the size cap, so the error can show what the
// service sent instead of events (STREAM-8).
func (s *Stream) contentTypeError(ct string) error {
	var r io.Reader = source{s}
	if limit := s.c.cfg.maxResponseBytes; limit > 0 {
		r = io.LimitReader(r, limit)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	token := s.c.creds.token
	text, excerpt := bodyExcerpts(body, token)
	shown := ct
	if shown == "" {
		shown = "(none)"
	}
	e := s.fail(KindStreamContentType, fmt.Sprintf("expected text/event-stream from service %s, got %s: %s",
		serviceName(s.c.ep.service, s.c.ep.url()), shown, text), nil)
	e.Body, e.ContentType = excerpt, maskToken(ct, token)
	return e
}

// Event returns the event Next advanced to.
func (s *Stream) Event() Event { return s.ev }

// Err returns the error that ended the reading: nil at a clean end or after Close; a
// StreamError (errors.Is(err, eas.ErrStream)) carrying what arrived before it; the context's
// error when ctx ended; or a usage error when the stream was read a second way.
func (s *Stream) Err() error { return s.err }

// BytesReceived is the number of body bytes read so far.
func (s *Stream) BytesReceived() int64 { return s.n }

// Close closes the stream at once, without reading the rest: the connection is closed, never
// returned half-read to the pool (STREAM-6). After the body's end it may be kept alive.
// Closing twice is harmless.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.body.Close()
	s.st.timer.Stop()
	s.st.cancel(nil)
	return nil
}

// eventTail keeps what a StreamError carries of the events delivered (STREAM-10): their count,
// and the most recent of them whose data adds up to at most max bytes, always at least the last
// one, so an error after gigabytes of events holds a bounded tail (STREAM-9).
type eventTail struct {
	events    []Event
	head      int // events[:head] were let go
	bytes     int // data bytes in events[head:]
	delivered int64
	max       int
}

func (t *eventTail) add(ev Event) {
	t.delivered++
	if len(t.events) == cap(t.events) && t.head >= len(t.events)/4 {
		// Reuse the room of events let go rather than grow: a long stream allocates its tail once.
		n := copy(t.events, t.events[t.head:])
		clear(t.events[n:])
		t.events, t.head = t.events[:n], 0
	}
	t.events = append(t.events, ev)
	t.bytes += len(ev.Data)
	for t.bytes > t.max && len(t.events)-t.head > 1 {
		t.bytes -= len(t.events[t.head].Data)
		t.events[t.head] = Event{} // let its data go
		t.head++
	}
}

// kept returns a copy of the tail.
func (t *eventTail) kept() []Event {
	return append([]Event{}, t.events[t.head:]...)
}
