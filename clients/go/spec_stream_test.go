package eas

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

func init() {
	vectorHandlers["sse"] = vecSSE
}

// chunkReader hands out one network chunk per Read, as a socket would.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// sseChunks decodes input.chunks: bytes, or {"fill": {"byte", "count"}}.
func sseChunks(list []any) ([][]byte, error) {
	var out [][]byte
	for _, c := range list {
		o := toObj(c)
		if f, ok := o["fill"]; ok {
			fo := toObj(f)
			if err := fo.only("fill", "byte", "count"); err != nil {
				return nil, err
			}
			b, err := hex.DecodeString(mustStr(fo, "byte"))
			if err != nil || len(b) != 1 {
				return nil, fmt.Errorf("fill byte %v", fo["byte"])
			}
			out = append(out, bytes.Repeat(b, fo.int("count")))
			continue
		}
		b, err := specBytes(c)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// failKind names a parse failure's kind, or the error itself when it is not one.
func failKind(err error) string {
	if f, ok := err.(*streamFail); ok {
		return f.kind.String()
	}
	return fmt.Sprintf("unexpected %v", err)
}

// parseEvents reads every event of the chunks: the events (as the case files write them) and
// the error kind that ended the reading ("" at a clean end).
func parseEvents(chunks [][]byte) ([]any, string) {
	lr := newLineReader(&chunkReader{chunks: chunks}, DefaultMaxLineBytes)
	p := eventParser{max: DefaultMaxLineBytes}
	events := []any{}
	for {
		var ev Event
		err := nextEvent(lr, &p, &ev)
		if err == io.EOF {
			return events, ""
		}
		if err != nil {
			return events, failKind(err)
		}
		events = append(events, eventJSON(ev))
	}
}

func eventJSON(ev Event) map[string]any {
	var retry any
	if ev.HasRetry {
		retry = float64(ev.Retry)
	}
	return map[string]any{"event": ev.Event, "data": ev.Data, "id": ev.ID, "retry": retry}
}

func parseLines(chunks [][]byte) ([]any, string) {
	lr := newLineReader(&chunkReader{chunks: chunks}, DefaultMaxLineBytes)
	lines := []any{}
	for {
		line, err := lr.next()
		if err == io.EOF {
			return lines, ""
		}
		if err != nil {
			return lines, failKind(err)
		}
		lines = append(lines, string(line))
	}
}

// normalize turns decoded JSON (json.Number) into the plain values parseEvents builds.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case json.Number:
		return num(x)
	default:
		return x
	}
}

// splits is every re-split §11 asks for: whole, at every byte boundary, byte by byte.
func splits(whole []byte) [][][]byte {
	out := [][][]byte{{whole}}
	for k := 1; k < len(whole); k++ {
		out = append(out, [][]byte{whole[:k], whole[k:]})
	}
	var ones [][]byte
	for i := range whole {
		ones = append(ones, whole[i:i+1])
	}
	return append(out, ones)
}

func vecSSE(in, want obj, _ specCase) error {
	if err := in.only("input", "chunks", "content_type", "kept"); err != nil {
		return err
	}
	if err := want.only("expect", "events", "error", "lines", "lines_error", "event_stream", "kept"); err != nil {
		return err
	}
	if want.has("kept") {
		t := eventTail{max: DefaultMaxLineBytes}
		for i, n := range in.list("kept") {
			t.add(Event{Event: "message", Data: strings.Repeat("x", int(num(n))), ID: fmt.Sprint(i)})
		}
		kept := t.kept()
		if len(kept) != want.int("kept") || t.delivered != int64(len(in.list("kept"))) {
			return fmt.Errorf("kept %d of %d delivered, want %d", len(kept), t.delivered, want.int("kept"))
		}
		for j, ev := range kept { // the most recent ones, in order
			if ev.ID != fmt.Sprint(len(in.list("kept"))-len(kept)+j) {
				return fmt.Errorf("kept event %d is delivered event %s", j, ev.ID)
			}
		}
		return nil
	}
	if want.has("event_stream") {
		ct, _ := in.str("content_type")
		if got := isEventStream(ct); got != want["event_stream"].(bool) {
			return fmt.Errorf("isEventStream(%q) = %v", ct, got)
		}
		return nil
	}
	given, err := sseChunks(in.list("chunks"))
	if err != nil {
		return err
	}
	wantEvents, wantErr := normalize(want.list("events")), mustStr(want, "error")
	wantLines, wantLinesErr := normalize(want.list("lines")), mustStr(want, "lines_error")
	whole := bytes.Join(given, nil)
	runs := [][][]byte{given}
	if len(whole) <= 4096 {
		runs = append(runs, splits(whole)...)
	}
	for _, chunks := range runs {
		// The readers move their own slice headers, never the bytes: each run gets fresh headers.
		events, kind := parseEvents(append([][]byte(nil), chunks...))
		if !reflect.DeepEqual(events, wantEvents) || kind != wantErr {
			return fmt.Errorf("split %d chunks: events %v error %q, want %v error %q", len(chunks), events, kind, wantEvents, wantErr)
		}
		if !want.has("lines") {
			continue
		}
		lines, kind := parseLines(append([][]byte(nil), chunks...))
		if !reflect.DeepEqual(lines, wantLines) || kind != wantLinesErr {
			return fmt.Errorf("split %d chunks: lines %q error %q, want %q error %q", len(chunks), lines, kind, wantLines, wantLinesErr)
		}
	}
	return nil
}

// streamCall makes a stream call of a scenario (§11 "stream success"): read the way mode
// names until the end or stop_after items, collecting what arrived, then close.
func streamCall(ctx context.Context, client *Client, req *Request, mode string, co, want obj, token, origin string) error {
	stopAfter := -1
	if co.has("stop_after") {
		stopAfter = co.int("stop_after")
	}
	s, err := client.Stream(ctx, req)
	if err != nil {
		if want.has("received") && len(toObj(map[string]any{"r": want["received"]}).list("r")) > 0 {
			return fmt.Errorf("the call failed before the headers (%v), want items received", err)
		}
		if !want.has("error") {
			return fmt.Errorf("unexpected error: %v", err)
		}
		return checkError(err, want, token, origin)
	}
	var events, lines []any
	var raw []byte
	items := func() int { return len(events) + len(lines) + len(raw) }
	buf := make([]byte, 64<<10)
	for stopAfter < 0 || items() < stopAfter {
		if mode == "events" {
			if !s.Next() {
				break
			}
			events = append(events, eventJSON(s.Event()))
		} else if mode == "lines" {
			if !s.NextLine() {
				break
			}
			lines = append(lines, s.Line())
		} else {
			p := buf
			if stopAfter >= 0 {
				p = buf[:min(len(buf), stopAfter-len(raw))]
			}
			n, err := s.Read(p)
			raw = append(raw, p[:n]...)
			if err != nil {
				break
			}
		}
	}
	readErr := s.Err()
	if err := s.Close(); err != nil {
		return err
	}
	if events == nil {
		events = []any{}
	}
	if lines == nil {
		lines = []any{}
	}
	got := map[string]any{"events": events, "lines": lines}
	if want.has("received") {
		if mode == "bytes" {
			if err := bytesMatch(want["received"], raw); err != nil {
				return fmt.Errorf("received: %v", err)
			}
		} else if w := normalize(want["received"]); !reflect.DeepEqual(got[mode], w) {
			return fmt.Errorf("received %v, want %v", got[mode], w)
		}
	}
	if want.has("error") {
		if err := checkError(readErr, want, token, origin); err != nil {
			return err
		}
		e, _ := asError(readErr)
		if want.has("bytes_received") && e.BytesReceived != int64(want.int("bytes_received")) {
			return fmt.Errorf("bytes_received %d, want %d", e.BytesReceived, want.int("bytes_received"))
		}
		carried := []any{}
		for _, ev := range e.Events {
			carried = append(carried, eventJSON(ev))
		}
		if mode == "events" && (!reflect.DeepEqual(carried, events) || e.EventsDelivered != int64(len(events))) {
			return fmt.Errorf("the error carries %d delivered, events %v; the caller received %v", e.EventsDelivered, carried, events)
		}
		if mode != "events" && len(e.Events) != 0 {
			return fmt.Errorf("a %s stream's error carries events %v", mode, e.Events)
		}
		return nil
	}
	if readErr != nil {
		return fmt.Errorf("unexpected error while reading: %v", readErr)
	}
	if want.has("attempts") && s.Attempts != want.int("attempts") {
		return fmt.Errorf("attempts %d, want %d", s.Attempts, want.int("attempts"))
	}
	if want.has("status") && s.Status != want.int("status") {
		return fmt.Errorf("status %d, want %d", s.Status, want.int("status"))
	}
	return nil
}

func init() {
	vectorHandlers["chat"] = vecChat
}

// rawJSON re-encodes a decoded case value as raw JSON, keeping its member order from the file.
func rawJSON(c json.RawMessage, path ...string) json.RawMessage {
	v, _ := rawField(c, path...)
	return v
}

func vecChat(in, want obj, c specCase) error {
	if err := in.only("input", "request", "events", "response"); err != nil {
		return err
	}
	if err := want.only("expect", "path", "accept", "body", "error", "deltas", "usage", "finish_reason", "message_contains",
		"text"); err != nil {
		return err
	}
	switch {
	case in.has("request"):
		ro := toObj(in["request"])
		if err := ro.only("request", "messages", "model", "stream", "params"); err != nil {
			return err
		}
		req := &ChatRequest{}
		var msgs []json.RawMessage
		if err := json.Unmarshal(rawJSON(c.Input, "request", "messages"), &msgs); err != nil {
			return fmt.Errorf("messages: %v", err)
		}
		for _, m := range msgs {
			req.Messages = append(req.Messages, m)
		}
		req.Model, _ = ro.str("model")
		var params [][2]json.RawMessage
		if p := rawJSON(c.Input, "request", "params"); p != nil {
			if err := json.Unmarshal(p, &params); err != nil {
				return err
			}
		}
		for _, kv := range params {
			var name string
			_ = json.Unmarshal(kv[0], &name)
			req.Params = append(req.Params, ChatParam{name, kv[1]})
		}
		stream, _ := ro["stream"].(bool)
		r, err := chatBody(req, stream)
		if want.has("error") {
			return errorKindIs(err, mustStr(want, "error"))
		}
		if err != nil {
			return err
		}
		if r.Path != mustStr(want, "path") || r.Header["Accept"] != mustStr(want, "accept") {
			return fmt.Errorf("path %q accept %q", r.Path, r.Header["Accept"])
		}
		return bytesMatch(want["body"], r.Body.data)
	case in.has("events"):
		var st chatState
		deltas := []any{}
		var failure error
		for _, e := range in.list("events") {
			eo := toObj(e)
			if err := eo.only("event", "event", "data"); err != nil {
				return err
			}
			ev := Event{Event: "message", Data: mustStr(eo, "data")}
			if t, ok := eo.str("event"); ok {
				ev.Event = t
			}
			if st.done {
				break
			}
			ds, err := st.take(ev)
			for _, d := range ds {
				deltas = append(deltas, d)
			}
			if err != nil {
				failure = err
				break
			}
		}
		if failure == nil {
			failure = st.end()
		}
		if !reflect.DeepEqual(deltas, normalize(want.list("deltas"))) {
			return fmt.Errorf("deltas %q, want %v", deltas, want["deltas"])
		}
		if want.has("error") {
			if kind := failKind(failure); kind != mustStr(want, "error") {
				return fmt.Errorf("error %s, want %s", kind, want["error"])
			}
			if m, ok := want.str("message_contains"); ok && !strings.Contains(failure.Error(), m) {
				return fmt.Errorf("%q does not contain %q", failure.Error(), m)
			}
			return nil
		}
		if failure != nil {
			return fmt.Errorf("unexpected %v", failure)
		}
		var usage any
		if st.usage != nil {
			usage = normalize(st.usage)
		}
		if !reflect.DeepEqual(usage, normalize(want["usage"])) {
			return fmt.Errorf("usage %v, want %v", st.usage, want["usage"])
		}
		var finish any
		if st.finish != "" {
			finish = st.finish
		}
		if finish != want["finish_reason"] {
			return fmt.Errorf("finish reason %v, want %v", finish, want["finish_reason"])
		}
		return nil
	default:
		resp, err := parseChatResponse(rawJSON(c.Input, "response"))
		if want.has("error") {
			return errorKindIs(err, mustStr(want, "error"))
		}
		if err != nil {
			return err
		}
		var usage, finish any
		if resp.Usage != nil {
			usage = normalize(resp.Usage)
		}
		if resp.FinishReason != "" {
			finish = resp.FinishReason
		}
		if resp.Text != mustStr(want, "text") || !reflect.DeepEqual(usage, normalize(want["usage"])) || finish != want["finish_reason"] {
			return fmt.Errorf("got %+v", resp)
		}
		return nil
	}
}
