package eas

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// refParse is a deliberately naive reading of STREAM-7/8 over the whole body at once, one byte
// at a time: the fuzz target checks the incremental parser against it at every split.
func refParse(body []byte, max int) ([]Event, string) {
	body = bytes.TrimPrefix(body, bom)
	var lines [][]byte
	var cur []byte
	unterminated := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\r', '\n':
			lines = append(lines, cur)
			cur = nil
			if c == '\r' && i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
		default:
			cur = append(cur, c)
			if len(cur) > max {
				return nil, "too long"
			}
		}
	}
	if len(cur) > 0 {
		lines, unterminated = append(lines, cur), true
	}
	var events []Event
	var data, typ strings.Builder
	hasData := false
	id, retry, hasRetry := "", int64(0), false
	for i, line := range lines {
		if !utf8.Valid(line) {
			return events, KindStreamProtocol.String()
		}
		if unterminated && i == len(lines)-1 {
			return events, KindStreamIncomplete.String()
		}
		s := string(line)
		if s == "" {
			if hasData {
				ev := Event{Event: typ.String(), Data: strings.TrimSuffix(data.String(), "\n"), ID: id, Retry: retry, HasRetry: hasRetry}
				if ev.Event == "" {
					ev.Event = "message"
				}
				events = append(events, ev)
			}
			data.Reset()
			typ.Reset()
			hasData = false
			continue
		}
		if s[0] == ':' {
			continue
		}
		name, value, _ := strings.Cut(s, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "data":
			data.WriteString(value + "\n")
			hasData = true
			if data.Len()-1 > max {
				return events, KindStreamProtocol.String()
			}
		case "event":
			typ.Reset()
			typ.WriteString(value)
		case "id":
			if !strings.Contains(value, "\x00") {
				id = value
			}
		case "retry":
			if n, ok := digits([]byte(value)); ok {
				retry, hasRetry = n, true
			}
		}
	}
	if hasData || typ.Len() > 0 {
		return events, KindStreamIncomplete.String()
	}
	return events, ""
}

// FuzzSSE: no input panics or hangs the parser, any split of the body gives the same events
// and error as the whole body, and both agree with the naive reading above.
func FuzzSSE(f *testing.F) {
	for _, s := range []string{"data: hello\n\n", "event: a\r\ndata: 1\r\n\r\n", "data: a\rdata: b\r\r", "\xef\xbb\xbfdata: x\n\n",
		": c\nid: 1\nretry: 30\ndata:\n\n", "data: a\n\ndata: b", "event: x\n", "data: \xff\n\n", "id: a\x00b\ndata: c\n\n",
		"data: x\r", "\r\n\r\n\n", "retry: 99999999999999999999\ndata: x\n\n",
		"data: a\n\r\ndata: b\r\rdata: c\r\n\r", "event: t\ndata: 1\n\ndata: 2\n\n", "data: a\ndata: b\n\n", "data: a\r\n\r\n"} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, split uint16) {
		const max = 64 // small, so the fuzzer reaches the length limits
		parse := func(chunks [][]byte) ([]Event, string) {
			lr := newLineReader(&chunkReader{chunks: chunks}, max)
			p := eventParser{max: max}
			var events []Event
			for {
				var ev Event
				err := nextEvent(lr, &p, &ev)
				if err != nil {
					if f, ok := err.(*streamFail); ok {
						return events, f.kind.String()
					}
					return events, ""
				}
				events = append(events, ev)
			}
		}
		wantEvents, wantErr := refParse(body, max)
		k := int(split) % (len(body) + 1)
		for _, chunks := range [][][]byte{{body}, {body[:k], body[k:]}} {
			events, kind := parse(chunks)
			if wantErr == "too long" && kind == KindStreamProtocol.String() {
				continue // the naive reading stops at the first long line; the parser may too
			}
			if !reflect.DeepEqual(events, wantEvents) || kind != wantErr {
				t.Fatalf("split at %d: events %+v error %q, want %+v error %q", k, events, kind, wantEvents, wantErr)
			}
			for _, ev := range events {
				if !utf8.ValidString(ev.Data) || len(ev.Data) > max {
					t.Fatalf("event data %q", ev.Data)
				}
			}
		}
	})
}
