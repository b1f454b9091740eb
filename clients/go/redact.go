package eas

import "strings"

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
