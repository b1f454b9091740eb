package eas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// chatPath is where OpenAI-compatible services (vLLM, SGLang, BladeLLM) answer chats (STREAM-11).
const chatPath = "v1/chat/completions"

// ChatRequest is a chat for an OpenAI-compatible service behind EAS (STREAM-11).
//
//	req := &eas.ChatRequest{
//		Messages: []any{map[string]string{"role": "user", "content": "Hi"}},
//		Params:   []eas.ChatParam{{"temperature", 0.5}, {"max_tokens", 64}},
//	}
type ChatRequest struct {
	Messages []any       // the chat so far, each a JSON object such as {"role": "user", "content": "Hi"}
	Model    string      // sent as "model" when not empty
	Params   []ChatParam // more members of the request body, in this order ("temperature", "max_tokens", …)
}

// ChatParam is one member of a chat request's JSON body.
type ChatParam struct {
	Name  string
	Value any
}

// ChatResponse is a finished chat: the answer's text, the usage object the service reported
// (nil when none) and the finish reason ("" when none).
type ChatResponse struct {
	Text         string
	Usage        map[string]any
	FinishReason string
}

// chatBody builds the request of a chat (STREAM-11): the JSON body with its members in order,
// and the Accept header of the stream or non-stream form.
func chatBody(req *ChatRequest, stream bool) (*Request, error) {
	if req == nil || len(req.Messages) == 0 {
		return nil, configError("a chat needs at least one message, e.g. {\"role\": \"user\", \"content\": \"Hi\"}")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	member := func(name string, v any) error {
		if buf.Len() > 0 {
			buf.WriteByte(',')
		}
		enc.Encode(name)
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		if err := enc.Encode(v); err != nil {
			return payloadError("cannot send the chat's %q as JSON: %v", name, err)
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	var streamOptions any = map[string]bool{"include_usage": true}
	for _, p := range req.Params {
		switch p.Name {
		case "model", "messages", "stream":
			return nil, configError("the chat parameter %q is an argument: set it on the ChatRequest, not in Params", p.Name)
		case "stream_options":
			streamOptions = p.Value
		}
	}
	if req.Model != "" {
		if err := member("model", req.Model); err != nil {
			return nil, err
		}
	}
	if err := member("messages", req.Messages); err != nil {
		return nil, err
	}
	accept := "application/json"
	if stream {
		accept = "text/event-stream"
		if err := member("stream", true); err != nil {
			return nil, err
		}
		if err := member("stream_options", streamOptions); err != nil {
			return nil, err
		}
	}
	for _, p := range req.Params {
		if p.Name == "stream_options" && stream {
			continue // sent in our place above
		}
		if err := member(p.Name, p.Value); err != nil {
			return nil, err
		}
	}
	body := append([]byte{'{'}, buf.Bytes()...)
	return &Request{Path: chatPath, Body: Payload{data: append(body, '}'), contentType: "application/json"},
		Header: map[string]string{"Accept": accept}}, nil
}

// Chat sends a non-stream chat and returns the answer (STREAM-11).
//
//	resp, err := c.Chat(ctx, &eas.ChatRequest{Messages: []any{map[string]string{"role": "user", "content": "Hi"}}})
//	fmt.Println(resp.Text)
func (c *Client) Chat(ctx context.Context, req *ChatRequest) (*ChatResponse, error) {
	r, err := chatBody(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	return parseChatResponse(resp.Body)
}

// parseChatResponse reads a non-stream answer (STREAM-11).
func parseChatResponse(body []byte) (*ChatResponse, error) {
	var answer struct {
		Choices []struct {
			Message *struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage map[string]any `json:"usage"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || len(answer.Choices) == 0 || answer.Choices[0].Message == nil {
		return nil, payloadError("the chat answer is not a JSON object with a choices list holding a message: %.200q", body)
	}
	out := &ChatResponse{Usage: answer.Usage}
	if c := answer.Choices[0].Message.Content; c != nil {
		out.Text = *c
	}
	if f := answer.Choices[0].FinishReason; f != nil {
		out.FinishReason = *f
	}
	return out, nil
}

// chatState takes the events of a stream chat in order (STREAM-12).
type chatState struct {
	usage  map[string]any
	finish string
	done   bool
}

// take reads one event: the text deltas it carries, or a *streamFail.
func (st *chatState) take(ev Event) ([]string, error) {
	if ev.Event != "message" && ev.Event != "error" {
		return nil, nil
	}
	if ev.Event == "message" && ev.Data == "[DONE]" {
		st.done = true
		return nil, nil
	}
	var raw any
	isJSON := json.Unmarshal([]byte(ev.Data), &raw) == nil
	if ev.Event == "error" {
		if obj, ok := raw.(map[string]any); ok && obj["error"] != nil {
			return nil, chatEventError(obj["error"])
		}
		if isJSON {
			return nil, chatEventError(raw)
		}
		return nil, chatEventError(ev.Data)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &streamFail{KindStreamProtocol, fmt.Sprintf("a chat event's data is not a JSON object: %.200q", ev.Data)}
	}
	if obj["error"] != nil {
		return nil, chatEventError(obj["error"])
	}
	var deltas []string
	choices, _ := obj["choices"].([]any)
	for _, c := range choices {
		choice, _ := c.(map[string]any)
		if idx, has := choice["index"]; has && idx != float64(0) {
			continue
		}
		if delta, _ := choice["delta"].(map[string]any); delta != nil {
			if text, _ := delta["content"].(string); text != "" {
				deltas = append(deltas, text)
			}
		}
		if f, ok := choice["finish_reason"].(string); ok {
			st.finish = f
		}
	}
	if u, ok := obj["usage"].(map[string]any); ok {
		st.usage = u
	}
	return deltas, nil
}

// chatEventError is the StreamEventError for an error the service sent in the stream.
func chatEventError(e any) error {
	text, _ := e.(string)
	if obj, ok := e.(map[string]any); ok {
		if m, ok := obj["message"].(string); ok {
			text = m
		}
	}
	if text == "" {
		if b, err := json.Marshal(e); err == nil {
			text = string(b)
		}
	}
	return &streamFail{KindStreamEvent, "the service sent an error in the stream: " + text}
}

func (st *chatState) end() error {
	if !st.done {
		return &streamFail{KindStreamIncomplete, "the chat stream ended without [DONE]; the server or a proxy cut the answer short"}
	}
	return nil
}

// ChatStream is a streamed chat: Next advances to the next piece of text, Delta returns it;
// after the end, Usage and FinishReason hold what the service reported (STREAM-12).
type ChatStream struct {
	*Stream
	state   chatState
	pending []string
	delta   string
}

// ChatStream sends a stream chat and returns once the answer started (STREAM-11, STREAM-1).
//
//	cs, err := c.ChatStream(ctx, &eas.ChatRequest{Messages: msgs})
//	if err != nil {
//		return err
//	}
//	defer cs.Close()
//	for cs.Next() {
//		fmt.Print(cs.Delta())
//	}
//	return cs.Err()
func (c *Client) ChatStream(ctx context.Context, req *ChatRequest) (*ChatStream, error) {
	r, err := chatBody(req, true)
	if err != nil {
		return nil, err
	}
	s, err := c.Stream(ctx, r)
	if err != nil {
		return nil, err
	}
	return &ChatStream{Stream: s}, nil
}

// Next advances to the next text delta; at the end, or on an error, it returns false: check Err.
func (cs *ChatStream) Next() bool {
	s := cs.Stream
	for len(cs.pending) == 0 {
		if cs.state.done {
			s.Close() // [DONE]: nothing after it is read
			return false
		}
		if !s.next() {
			if s.ended && s.err == nil { // the body ended cleanly, but before [DONE]
				f := cs.state.end().(*streamFail)
				s.err = s.fail(f.kind, f.msg, nil)
			}
			return false
		}
		deltas, err := cs.state.take(s.ev)
		if err != nil {
			s.finish(err) // carries the events before the failing one, which is not delivered
			return false
		}
		s.got.add(s.ev)
		cs.pending = deltas
	}
	cs.delta, cs.pending = cs.pending[0], cs.pending[1:]
	return true
}

// Delta returns the text Next advanced to.
func (cs *ChatStream) Delta() string { return cs.delta }

// Usage returns the last usage object the service sent (nil when none).
func (cs *ChatStream) Usage() map[string]any { return cs.state.usage }

// FinishReason returns the last finish reason the service sent ("" when none).
func (cs *ChatStream) FinishReason() string { return cs.state.finish }
