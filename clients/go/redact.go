package eas

import (
	"fmt"
	"net/http"
	"strings"
)

// minSearchedToken is the shortest token searched for inside text (SEC-1): a shorter one would
// mask innocent substrings ("T" inside "HTTP"), so it is masked only where it is the whole text.
const minSearchedToken = 8

const mask = "***"

// maskToken replaces the token in s with "***" (SEC-1).
func maskToken(s, token string) string {
	if token == "" {
		return s
	}
	if len(token) >= minSearchedToken {
		return strings.ReplaceAll(s, token, mask)
	}
	if s == token {
		return mask
	}
	return s
}

var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "x-eas-token": true,
}

// MaskHeaders returns a copy of name/value pairs fit to show: the values of Authorization,
// Proxy-Authorization, Cookie and X-EAS-Token become "***" (SEC-1).
//
//	eas.MaskHeaders([][2]string{{"Authorization", "tok"}}) // [[Authorization ***]]
func MaskHeaders(headers [][2]string) [][2]string {
	out := make([][2]string, len(headers))
	for i, h := range headers {
		out[i] = h
		if secretHeaders[strings.ToLower(h[0])] {
			out[i][1] = mask
		}
	}
	return out
}

// maskHeader copies response headers for an error: secret header values become "***" and the
// token is masked in every other value (SEC-3).
func maskHeader(h http.Header, token string) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		shown := make([]string, len(values))
		for i, v := range values {
			if secretHeaders[strings.ToLower(name)] {
				shown[i] = mask
			} else {
				shown[i] = maskToken(v, token)
			}
		}
		out[name] = shown
	}
	return out
}

// credentials hold the token and the prebuilt header that carries it. Every format verb shows
// "***", and the client keeps them behind a pointer, so printing the client's fields (%+v, %#v)
// shows an address, never the value (SEC-4).
type credentials struct {
	token string
	// octetHeader is the header of a call with a bytes body and no call headers, built once:
	// the transport never writes to a request's header, so calls share it.
	octetHeader http.Header
}

func (c *credentials) String() string   { return mask }
func (c *credentials) GoString() string { return mask }

// Format keeps every verb, %+v and %#v included, to the mask.
func (c *credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(mask)) }
