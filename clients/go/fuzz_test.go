package eas

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// The fuzz targets check that no input panics and that results keep their invariants.
// Seeds come from the spec's own cases plus a few hostile shapes.

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/api/predict/demo", "h:1", "[::1]:8080", "http://[::1/api/predict/x",
		"HTTPS://h/eas/", "http://user@h/api/predict/x", "http://h:99999/x", "http://h/api/predict/", "http://h/test?x=1#f"} {
		f.Add(s, "demo", "v1/chat")
	}
	f.Fuzz(func(t *testing.T, endpoint, service, sub string) {
		ep, err := parseEndpoint(endpoint, service)
		if err != nil {
			if e, ok := asError(err); !ok || e.Kind != KindConfig {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if ep.scheme != "http" && ep.scheme != "https" {
			t.Fatalf("scheme %q", ep.scheme)
		}
		path, _, err := ep.requestTarget(sub, []Param{P("k", sub)})
		if err == nil && (!strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# ")) {
			t.Fatalf("path %q", path)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"5", "1.5", "  7 ", "Thu, 01 Jan 2026 00:00:10 GMT", "Thursday, 01-Jan-26 00:00:03 GMT",
		"Thu Jan  1 00:00:04 2026", "-3", "NaN", "1e400", "99999999999999999999", ""} {
		f.Add(s)
	}
	now := time.Unix(1767225600, 0)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if ok && d < 0 {
			t.Fatalf("negative wait %v for %q", d, v)
		}
	})
}

func FuzzParseDiscovery(f *testing.F) {
	for _, s := range []string{`{"endpoints":{"items":[{"ip":"10.0.0.1","port":1,"weight":2}]}}`, `[1,2]`, `<html>`,
		`{"endpoints":{"items":[{"ip":"a","port":80.5}]}}`, `{"endpoints":{"items":{"ip":1}}}`, `{"endpoints":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := parseDiscovery(body, "demo")
		if err != nil {
			if e, ok := asError(err); !ok || e.Kind != KindDiscovery {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if len(list) == 0 {
			t.Fatal("an empty list without an error")
		}
		for _, x := range list {
			if x.port < 1 || x.port > 65535 || x.weight < 1 || x.ip == "" {
				t.Fatalf("bad instance %+v", x)
			}
		}
		b := newBalancer(time.Second)
		b.update(list)
		if _, ok := b.pick(0, list[0].key()); !ok {
			t.Fatal("no pick from a non-empty list")
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, h := range []string{"0a1f0a0179121a080112040a0202021a100000803f000020400000c07f000080ff", "0a0d0a01791208080912040a020004",
		"0a0f0a0179120a080328818000287f2802", "0a14080912030a01023a0b01ffffffffffffffffff0112110a056e616d6564120808011a040000003f",
		"0a100a0179", "0b", "0a0a0a0179120508011a0100", ""} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(name string, x *Tensor) {
			want := int64(1)
			for _, d := range x.Shape {
				if d < 0 {
					t.Fatalf("%s: negative dim", name)
				}
				want *= d
			}
			if len(x.Shape) > 0 && want != int64(x.Len()) {
				t.Fatalf("%s: shape %v with %d values", name, x.Shape, x.Len())
			}
		}
		if r, err := DecodeTFResponse(body); err == nil {
			for k, x := range r.Outputs {
				check(k, x)
			}
		} else if e, ok := asError(err); !ok || e.Kind != KindPayload {
			t.Fatalf("error of the wrong kind: %v", err)
		}
		if r, err := DecodeTorchResponse(body); err == nil {
			for _, x := range r.Outputs {
				check("positional", x)
			}
		} else if e, ok := asError(err); !ok || e.Kind != KindPayload {
			t.Fatalf("error of the wrong kind: %v", err)
		}
	})
}
