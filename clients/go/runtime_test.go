package eas

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// localRuntime is `eas serve` (the repository's Python runtime) on a free port.
type localRuntime struct {
	url       string   // the service URL
	origin    string   // the gateway origin, also the discovery server
	instances []string // instance origins
}

// startRuntime starts `eas serve app` and stops it when the test ends; the test is skipped
// when the repository's .venv is missing.
func startRuntime(t *testing.T, app string, args ...string) *localRuntime {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	bin := filepath.Join(root, ".venv", "bin", "eas")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("the local runtime is not installed (%s missing); run `make install` at the repository root", bin)
	}
	target := filepath.Join(root, app)
	if strings.Contains(app, ":") {
		target = app // module:app, imported from the repository root
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", target, "--port", "0"}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+root, "LLM_TOKEN_DELAY_MS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	rt := &localRuntime{}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "Service start successfully: "):
				rt.url = strings.TrimPrefix(line, "Service start successfully: ")
				rt.origin = rt.url[:strings.Index(rt.url, "/api/predict/")]
			case strings.HasPrefix(line, "instance "):
				rt.instances = append(rt.instances, line[strings.Index(line, "http://"):])
			}
			if rt.url != "" && (len(args) == 0 || len(rt.instances) > 0 || !hasInstances(args)) {
				ready <- nil
				break
			}
		}
		for sc.Scan() { // keep the pipe drained
		}
		ready <- errors.New("eas serve exited before it was ready")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("eas serve did not start within 60 s")
	}
	return rt
}

func hasInstances(args []string) bool {
	for _, a := range args {
		if a == "--instances" {
			return true
		}
	}
	return false
}

func TestLocalRuntimeQuickstart(t *testing.T) {
	rt := startRuntime(t, "examples/quickstart/app.py", "--service", "demo", "--token", "T")
	t.Setenv("EAS_TOKEN", "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	c, err := NewClient(rt.url, "T")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Predict(ctx, []byte("2 105"))
	if err != nil || string(out) != "True" {
		t.Fatalf("Predict: %q %v", out, err)
	}

	signed, err := NewClient(rt.origin, "T", WithServiceName("demo"), WithSignature())
	if err != nil {
		t.Fatal(err)
	}
	defer signed.Close()
	if out, err := signed.Predict(ctx, []byte("2 103")); err != nil || string(out) != "False" {
		t.Fatalf("signed Predict: %q %v", out, err)
	}

	inputs := make([][]byte, 200)
	for i := range inputs {
		inputs[i] = []byte("2 105")
	}
	for i, r := range c.PredictMany(ctx, inputs, 16) {
		if r.Err != nil || string(r.Body) != "True" {
			t.Fatalf("PredictMany %d: %q %v", i, r.Body, r.Err)
		}
	}

	wrong, err := NewClient(rt.url, "wrong-token-123")
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = wrong.Predict(ctx, []byte("2 105"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrAuthentication) || e.Attempts != 1 || e.Status != 401 {
		t.Fatalf("wrong token: %+v", err)
	}
}

func TestLocalRuntimeDirectMode(t *testing.T) {
	rt := startRuntime(t, "examples/quickstart/app.py", "--service", "demo", "--token", "T", "--instances", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := NewClient(rt.origin, "T", WithServiceName("demo"), WithDirect())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inputs := make([][]byte, 20)
	for i := range inputs {
		inputs[i] = []byte("2 105")
	}
	for i, r := range c.PredictMany(ctx, inputs, 4) {
		if r.Err != nil || string(r.Body) != "True" {
			t.Fatalf("direct %d: %q %v", i, r.Body, r.Err)
		}
	}
}

func TestLocalRuntimeTensor(t *testing.T) {
	rt := startRuntime(t, "examples/tensor/app.py", "--service", "demo")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Setenv("EAS_TOKEN", "")
	c, err := NewClient(rt.url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := NewTFRequest("").
		AddFeed("x", []int64{2, 2}, []float32{1, 2, 3, 4}).
		AddFeed("n", []int64{3}, []int64{10, 20, 30})
	resp, err := c.PredictTF(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	sum := resp.Outputs["sum"]
	if sum == nil || len(sum.Float64) != 1 || sum.Float64[0] != 70 {
		t.Fatalf("sum: %+v", sum)
	}
	x := resp.Outputs["x"]
	if x == nil || x.DType != DTFloat || len(x.Shape) != 2 || x.Float32[3] != 4 {
		t.Fatalf("x echoed: %+v", x)
	}
	if _, err := c.PredictTF(ctx, NewTFRequest("").AddFeed("x", nil, []float32{1}).AddFetch("missing")); err == nil {
		t.Fatal("a missing fetch should fail")
	}
}
