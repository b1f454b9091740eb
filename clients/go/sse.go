package eas

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultMaxLineBytes bounds one line of a stream read as lines or events, and the joined data
// of one event (STREAM-7, STREAM-9): 1 MiB, far above any token event, far below what a broken
// server sending no line end could make the client hold.
const DefaultMaxLineBytes = 1 << 20

// Event is one Server-Sent Event (STREAM-8, the WHATWG event-stream interpretation).
type Event struct {
	Event    string // the event type; "message" when the stream named none
	Data     string // the data lines joined by "\n"
	ID       string // the last event ID, which persists across events ("" when none was set)
	Retry    int64  // the reconnection time in ms, when HasRetry
	HasRetry bool   // whether a retry field has set a reconnection time so far
}

// streamFail is a parse failure; the Stream turns it into an *Error with what it received.
type streamFail struct {
	kind Kind
	msg  string
}

func (f *streamFail) Error() string { return f.msg }

var bom = []byte{0xEF, 0xBB, 0xBF}

// lineReader splits a body into lines at CRLF, LF or a lone CR (STREAM-7), across reads of any
// size, holding at most one pending line of up to max bytes.
type lineReader struct {
	src     io.Reader
	buf     []byte
	r, w    int
	scanned int   // bytes after r known to hold no CR or LF
	err     error // the source's error once it returned one (io.EOF at the end)
	started bool  // the BOM check is done
	skipLF  bool  // the last line ended with CR: an LF right after it belongs to that line end
	max     int
	// unterminated is set when the last line returned had no line end (the body's last bytes).
	unterminated bool
}

func newLineReader(src io.Reader, max int) *lineReader {
	return &lineReader{src: src, buf: make([]byte, 16<<10), max: max}
}

// fill reads once more from the source, moving the pending bytes to the front and growing the
// buffer when it is full.
func (l *lineReader) fill() {
	if l.r > 0 {
		l.w = copy(l.buf, l.buf[l.r:l.w])
		l.r = 0
	}
	if l.w == len(l.buf) {
		grown := make([]byte, 2*len(l.buf))
		copy(grown, l.buf[:l.w])
		l.buf = grown
	}
	n, err := l.src.Read(l.buf[l.w:])
	l.w += n
	if err != nil {
		l.err = err
	}
}

// next returns the next line without its line end (valid until the next call), or the source's
// error (io.EOF at a clean end), or a *streamFail for a line too long or not UTF-8.
func (l *lineReader) next() ([]byte, error) {
	for {
		if !l.started {
			// One BOM at the very start of the body is dropped, even when it arrives split.
			pending := l.buf[l.r:l.w]
			if len(pending) < len(bom) && bytes.HasPrefix(bom, pending) && l.err == nil {
				l.fill()
				continue
			}
			if bytes.HasPrefix(pending, bom) {
				l.r += len(bom)
			}
			l.started = true
		}
		if l.skipLF {
			if l.r == l.w && l.err == nil {
				l.fill()
				continue
			}
			if l.r < l.w && l.buf[l.r] == '\n' {
				l.r++
			}
			l.skipLF = false
		}
		window := l.buf[l.r:l.w]
		rest := window[l.scanned:]
		end := bytes.IndexByte(rest, '\n')
		seg := rest
		if end >= 0 {
			seg = rest[:end]
		}
		if cr := bytes.IndexByte(seg, '\r'); cr >= 0 {
			end = cr
		}
		if end >= 0 {
			end += l.scanned
			line := window[:end]
			l.r += end + 1
			l.scanned = 0
			if window[end] == '\r' {
				if end+1 < len(window) {
					if window[end+1] == '\n' {
						l.r++
					}
				} else {
					l.skipLF = true
				}
			}
			return line, l.check(line)
		}
		l.scanned = len(window)
		if len(window) > l.max {
			return nil, tooLong(l.max)
		}
		if l.err != nil {
			if len(window) == 0 || l.err != io.EOF {
				// A broken body delivers no partial line: only a clean end does.
				return nil, l.err
			}
			l.r, l.scanned = l.w, 0
			l.unterminated = true
			return window, l.check(window)
		}
		l.fill()
	}
}

// takeBlank consumes an empty line when one is already in the buffer at the read position,
// ending it at LF, CRLF or a lone CR exactly as next would; it reports whether it did.
func (l *lineReader) takeBlank() bool {
	if l.skipLF || l.r >= l.w {
		return false
	}
	switch l.buf[l.r] {
	case '\n':
		l.r++
		return true
	case '\r':
		l.r++
		if l.r < l.w {
			if l.buf[l.r] == '\n' {
				l.r++
			}
		} else {
			l.skipLF = true
		}
		return true
	}
	return false
}

func (l *lineReader) check(line []byte) error {
	if len(line) > l.max {
		return tooLong(l.max)
	}
	if !utf8.Valid(line) {
		return &streamFail{KindStreamProtocol, "a line of the stream is not valid UTF-8; read the stream as bytes to take it as sent"}
	}
	return nil
}

func tooLong(max int) error {
	return &streamFail{KindStreamProtocol, "a line of the stream is longer than " + itoa(max) +
		" bytes; read the stream as bytes to take lines of any length"}
}

// eventParser assembles events from lines (STREAM-8). Its buffers persist across lines;
// strings for the event type and id are reused while they repeat, so a stream of events of
// one type allocates only their data.
type eventParser struct {
	data     []byte // the data buffer: each data line and "\n"
	typ      []byte // the event type buffer
	typText  string // typ as a string, cached
	id       string
	retry    int64
	hasRetry bool
	max      int
}

// line takes one line; it fills ev and returns true when the line dispatched an event.
func (p *eventParser) line(line []byte, ev *Event) (bool, error) {
	if len(line) == 0 {
		if len(p.data) == 0 {
			p.typ = p.typ[:0]
			return false, nil
		}
		p.dispatch(p.data[:len(p.data)-1], ev)
		return true, nil
	}
	if line[0] == ':' {
		return false, nil
	}
	if value, ok := dataValue(line); ok {
		return false, p.appendData(value)
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		return false, p.appendData(value)
	case "event":
		p.typ = append(p.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 && p.id != string(value) {
			p.id = string(value)
		}
	case "retry":
		if n, ok := digits(value); ok {
			p.retry, p.hasRetry = n, true
		}
	}
	return false, nil
}

// dispatch fills ev with the event of the given data and the fields so far, and starts the next.
func (p *eventParser) dispatch(data []byte, ev *Event) {
	// Field by field: a composite literal assigned through ev was built on the stack and then
	// copied with wide loads over narrower stores, a store-forwarding stall on every event.
	ev.Event = "message"
	if len(p.typ) > 0 {
		if p.typText != string(p.typ) {
			p.typText = string(p.typ)
		}
		ev.Event = p.typText
	}
	ev.Data = string(data)
	ev.ID = p.id
	ev.Retry, ev.HasRetry = p.retry, p.hasRetry
	p.data, p.typ = p.data[:0], p.typ[:0]
}

// dataValue returns the value of a "data:" line with a non-empty value, the common line, taken
// without the general field split; ok is false for every other line.
func dataValue(line []byte) (value []byte, ok bool) {
	if len(line) > 5 && line[4] == ':' && string(line[:4]) == "data" {
		value = line[5:]
		if value[0] == ' ' {
			value = value[1:]
		}
		return value, true
	}
	return nil, false
}

func (p *eventParser) appendData(value []byte) error {
	p.data = append(append(p.data, value...), '\n')
	if len(p.data)-1 > p.max {
		return &streamFail{KindStreamProtocol, "the data of one event is longer than " + itoa(p.max) +
			" bytes; read the stream as bytes to take events of any size"}
	}
	return nil
}

// end checks the state at the end of the body: an event begun and never dispatched is an
// incomplete stream, not a short one (STREAM-8).
func (p *eventParser) end(unterminated bool) error {
	if len(p.data) > 0 || len(p.typ) > 0 || unterminated {
		return &streamFail{KindStreamIncomplete, "the stream ended in the middle of an event; the server or a proxy cut it short"}
	}
	return nil
}

// digits parses one or more ASCII digits; a value beyond int64 is ignored like any other
// value that is not a reconnection time.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isEventStream reports whether a Content-Type names text/event-stream (STREAM-8).
func isEventStream(contentType string) bool {
	media, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(media), "text/event-stream")
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// SSEReader reads Server-Sent Events from any reader (STREAM-7, STREAM-8), for a stream that
// did not come from Client.Stream (a file, a test fixture, another HTTP client).
//
//	r := eas.NewSSEReader(body)
//	for {
//		ev, err := r.Next()
//		if err == io.EOF {
//			break
//		} else if err != nil {
//			return err
//		}
//		fmt.Println(ev.Data)
//	}
type SSEReader struct {
	lines  *lineReader
	events eventParser
	err    error
}

// NewSSEReader returns a reader of the events in r, with lines of at most DefaultMaxLineBytes.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{lines: newLineReader(r, DefaultMaxLineBytes), events: eventParser{max: DefaultMaxLineBytes}}
}

// Next returns the next event; io.EOF at a clean end of the stream; an *Error of kind
// StreamIncompleteError or StreamProtocolError for a malformed stream; or r's own error.
func (s *SSEReader) Next() (Event, error) {
	if s.err != nil {
		return Event{}, s.err
	}
	var ev Event
	err := nextEvent(s.lines, &s.events, &ev)
	if err != nil {
		if f, ok := err.(*streamFail); ok {
			err = &Error{Kind: f.kind, Message: f.msg}
		}
		s.err = err
	}
	return ev, err
}

// nextEvent reads lines until one dispatches an event into ev, or the body ends (io.EOF, or a
// *streamFail when it ends mid-event), or reading fails.
func nextEvent(l *lineReader, p *eventParser, ev *Event) error {
	for {
		line, err := l.next()
		if err == io.EOF {
			if err := p.end(false); err != nil {
				return err
			}
			return io.EOF
		}
		if err != nil {
			return err
		}
		if l.unterminated {
			// The body's last bytes had no line end: never delivered as (part of) an event.
			if err := p.end(len(line) > 0); err != nil {
				return err
			}
			continue
		}
		if len(p.data) == 0 {
			// The common event, one data line and the empty line after it, both in the buffer:
			// its data is the line's value, taken as a string once, without the data buffer.
			if value, ok := dataValue(line); ok && l.takeBlank() {
				p.dispatch(value, ev)
				return nil
			}
		}
		if ok, err := p.line(line, ev); err != nil || ok {
			return err
		}
	}
}
