package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	eas "github.com/eas-client/eas-client/clients/go"
)

// streamChat streams a chat completion from an OpenAI-compatible service behind EAS and prints
// the text as it arrives. With no llmURL it starts a scripted stand-in on 127.0.0.1 that sends
// token events with a short pause between them, as an LLM service does.
func streamChat(ctx context.Context, llmURL, token string) error {
	if llmURL == "" {
		srv := httptest.NewServer(http.HandlerFunc(scriptedChat))
		defer srv.Close()
		llmURL, token = srv.URL+"/api/predict/llm", ""
	}
	client, err := eas.NewClient(llmURL, token, eas.WithTimeout(10*time.Second)) // the longest pause between tokens
	if err != nil {
		return err
	}
	defer client.Close()
	s, err := client.Stream(ctx, &eas.Request{
		Path: "v1/chat/completions",
		Body: eas.JSON(map[string]any{"messages": []map[string]string{{"role": "user", "content": "Say hello"}}, "stream": true}),
	})
	if err != nil {
		return err
	}
	defer s.Close() // closing early would close the connection, never return it half-read
	fmt.Print("stream: ")
	for s.Next() {
		data := s.Event().Data
		if data == "[DONE]" {
			break
		}
		var chunk struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return fmt.Errorf("stream: an event that is not a chat chunk: %w", err)
		}
		for _, c := range chunk.Choices {
			fmt.Print(c.Delta.Content)
		}
	}
	if err := s.Err(); err != nil {
		return err // a StreamError carries the events received before the failure
	}
	fmt.Println()
	return nil
}

// scriptedChat answers like an OpenAI-compatible service with stream=true.
func scriptedChat(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	for _, tok := range strings.SplitAfter("Hello from a streamed answer.", " ") {
		chunk, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk",
			"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": tok}}}})
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		flusher.Flush()
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}
