// Command example calls services run by the local runtime (`eas serve`) with the Go client:
// the one-liner, a batch of 1,000 with a progress line, direct mode, a streamed chat answer
// (from -llm, or a scripted stand-in) and a TensorFlow request.
//
//	eas serve examples/quickstart/app.py --service demo --token T --instances 2 &
//	eas serve examples/tensor/app.py --service tensor --port 8081 &
//	go run . -endpoint http://127.0.0.1:8080/api/predict/demo -token T \
//	         -tensor http://127.0.0.1:8081/api/predict/tensor
//
// run.sh does all of that on free ports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	eas "github.com/eas-client/eas-client/clients/go"
)

func main() {
	endpoint := flag.String("endpoint", os.Getenv("EAS_ENDPOINT"), "quickstart service URL")
	token := flag.String("token", os.Getenv("EAS_TOKEN"), "service token")
	tensor := flag.String("tensor", "", "tensor service URL (examples/tensor/app.py); empty skips the TF call")
	llm := flag.String("llm", "", "OpenAI-compatible service URL to stream a chat from; empty streams from a scripted stand-in")
	flag.Parse()
	if err := run(*endpoint, *token, *tensor, *llm); err != nil {
		log.Fatal(err)
	}
}

func run(endpoint, token, tensorURL, llmURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// 1. The one-liner.
	client, err := eas.NewClient(endpoint, token)
	if err != nil {
		return err
	}
	defer client.Close()
	out, err := client.Predict(ctx, []byte("2 105"))
	if err != nil {
		return err
	}
	fmt.Printf("one-liner: %s\n", out)

	// 2. A batch of 1,000, 32 in flight, with a progress line per 100.
	inputs := make([][]byte, 1000)
	for i := range inputs {
		inputs[i] = fmt.Appendf(nil, "2 %d", 100+i%10)
	}
	start, trues := time.Now(), 0
	for lo := 0; lo < len(inputs); lo += 100 {
		for i, r := range client.PredictMany(ctx, inputs[lo:lo+100], 32) {
			if r.Err != nil {
				return fmt.Errorf("input %d: %w", lo+i, r.Err)
			}
			if string(r.Body) == "True" {
				trues++
			}
		}
		fmt.Printf("\rbatch: %4d/%d", lo+100, len(inputs))
	}
	fmt.Printf(" done in %v, %d True\n", time.Since(start).Round(time.Millisecond), trues)

	// 3. Errors carry a kind: a wrong token is an AuthenticationError after one attempt.
	wrong, err := eas.NewClient(endpoint, "not-the-token")
	if err != nil {
		return err
	}
	defer wrong.Close()
	_, err = wrong.Predict(ctx, []byte("2 105"))
	var e *eas.Error
	if errors.As(err, &e) && errors.Is(err, eas.ErrAuthentication) {
		fmt.Printf("wrong token: HTTP %d after %d attempt(s)\n", e.Status, e.Attempts)
	} else {
		return fmt.Errorf("wrong token: want an AuthenticationError, got %v", err)
	}

	// 4. Direct mode: discovery on the gateway, then straight to the instances.
	origin, service, _ := strings.Cut(endpoint, "/api/predict/")
	direct, err := eas.NewClient(origin, token, eas.WithServiceName(service), eas.WithDirect())
	if err != nil {
		return err
	}
	defer direct.Close()
	if _, err := direct.PredictAll(ctx, inputs[:50], 8); err != nil {
		return fmt.Errorf("direct mode: %w", err)
	}
	fmt.Println("direct mode: 50 calls spread over the instances")

	// 5. A streamed chat answer, printed as its tokens arrive.
	if err := streamChat(ctx, llmURL, token); err != nil {
		return fmt.Errorf("stream: %w", err)
	}

	// 6. A TensorFlow request.
	if tensorURL == "" {
		return nil
	}
	tf, err := eas.NewClient(tensorURL, "")
	if err != nil {
		return err
	}
	defer tf.Close()
	req := eas.NewTFRequest("").
		AddFeed("x", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}).
		AddFetch("sum")
	resp, err := tf.PredictTF(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("tensor: sum=%v\n", resp.Outputs["sum"].Float64)
	return nil
}
