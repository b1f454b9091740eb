package eas

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

const predictMarker = "/api/predict/"

// endpoint is a parsed, validated service address (URL-1 … URL-4, URL-7).
type endpoint struct {
	scheme  string // "http" or "https"
	host    string // host[:port] as given (IPv6 in brackets)
	path    string // the service path, no trailing "/" unless it is the root
	query   string // the endpoint's own query, already encoded
	service string // the service name, "" for a custom URL
}

// origin is scheme://host.
func (e *endpoint) origin() string { return e.scheme + "://" + e.host }

// url is the service URL without a sub-path or call params.
func (e *endpoint) url() string {
	u := e.origin() + e.path
	if e.query != "" {
		u += "?" + e.query
	}
	return u
}

// parseEndpoint validates an endpoint and an optional service name. Every problem is a
// ConfigError that names it and the fix.
func parseEndpoint(raw, serviceName string) (*endpoint, error) {
	// Non-ASCII is checked before trimming: TrimSpace would drop a NEL or NBSP at either end.
	if strings.ContainsFunc(raw, func(r rune) bool { return r > 0x7f }) {
		return nil, configError("the endpoint %q contains a non-ASCII character (URL-9); percent-encode it, or use the IDNA (xn--) form of the host name", raw)
	}
	if strings.ContainsFunc(serviceName, func(r rune) bool { return r > 0x7f }) {
		return nil, configError("the service name %q contains a non-ASCII character (URL-9); pass it percent-encoded", serviceName)
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, configError("the endpoint is empty; pass a URL such as http://<host>/api/predict/<service> or set EAS_ENDPOINT")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return nil, configError("the endpoint %q contains whitespace or control characters; remove them or percent-encode them", s)
		}
		if r > 0x7f {
			return nil, configError("the endpoint %q contains a non-ASCII character (URL-9); percent-encode it, or use the IDNA (xn--) form of the host name", s)
		}
	}
	scheme, rest := "http", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = strings.ToLower(s[:i]), s[i+3:]
		if scheme != "http" && scheme != "https" {
			return nil, configError("the endpoint scheme %q is not supported; use http:// or https://", s[:i])
		}
	}
	if strings.Contains(rest, "#") {
		return nil, configError("the endpoint %q has a fragment (#…); remove it", s)
	}
	query := ""
	if i := strings.Index(rest, "?"); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	host, path := rest, ""
	if i := strings.Index(rest, "/"); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if strings.Contains(host, "@") {
		return nil, configError("the endpoint has credentials (user@host); remove them and pass the token separately")
	}
	if err := checkHost(host); err != nil {
		return nil, err
	}
	service := strings.Trim(strings.TrimSpace(serviceName), "/")
	if service != "" {
		if strings.ContainsFunc(service, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '?' || r == '#' }) {
			return nil, configError("the service name %q contains whitespace, control or non-ASCII characters or ?/# (URL-9); pass the name as shown in the console, percent-encoded", service)
		}
	}
	ep := &endpoint{scheme: scheme, host: host, query: query}
	if i := strings.Index(path, predictMarker); i >= 0 {
		ep.service = strings.TrimRight(path[i+len(predictMarker):], "/")
		ep.path = strings.TrimRight(path, "/")
		if ep.service == "" {
			return nil, configError("the endpoint %q ends at /api/predict/ with no service; append the service name", s)
		}
		if service != "" && service != ep.service {
			return nil, configError("the service name %q disagrees with the service %q in the endpoint; pass one of them", service, ep.service)
		}
		return ep, nil
	}
	prefix := strings.TrimRight(path, "/")
	if service != "" {
		ep.service = service
		ep.path = prefix + predictMarker + service
		return ep, nil
	}
	if prefix == "" {
		return nil, configError("the endpoint %q names no service; add /api/predict/<service> or pass WithServiceName", s)
	}
	ep.path = prefix
	return ep, nil
}

func checkHost(host string) error {
	if host == "" {
		return configError("the endpoint has no host; use http://<host>[:port]/…")
	}
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.Index(host, "]")
		if end < 0 {
			return configError("the endpoint host %q has an unclosed IPv6 bracket; write [addr]:port", host)
		}
		name, port = host[1:end], host[end+1:]
		if net.ParseIP(name) == nil {
			return configError("the endpoint host %q is not an IPv6 address", host)
		}
		if port != "" && !strings.HasPrefix(port, ":") {
			return configError("the endpoint host %q has text after the IPv6 address; write [addr]:port", host)
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.LastIndex(host, ":"); i >= 0 {
		name, port = host[:i], host[i+1:]
		if name == "" || strings.ContainsAny(name, "[]:") {
			return configError("the endpoint host %q is malformed; write host:port", host)
		}
		if port == "" {
			return configError("the endpoint host %q has an empty port; remove the ':' or add a port", host)
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "+") {
			return configError("the endpoint port %q is not a number from 1 to 65535", port)
		}
	}
	return nil
}

// Param is one query parameter; NoValue sends a bare key.
type Param struct {
	Key     string
	Value   string
	NoValue bool
}

// P builds a Param from a Go value: nil gives a bare key, booleans true/false, other values
// their fmt.Sprint form.
//
//	eas.P("n", 3), eas.P("flag", true), eas.P("bare", nil)
func P(key string, value any) Param {
	switch v := value.(type) {
	case nil:
		return Param{Key: key, NoValue: true}
	case string:
		return Param{Key: key, Value: v}
	case bool:
		return Param{Key: key, Value: strconv.FormatBool(v)}
	default:
		return Param{Key: key, Value: fmt.Sprint(v)}
	}
}

// escapeQuery %-encodes all but A-Z a-z 0-9 - . _ ~ (URL-6).
func escapeQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// escapePath %-encodes a sub-path, keeping RFC 3986 pchar and "/" (URL-5).
func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || c == '/' || strings.IndexByte("!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// requestTarget returns the path (also the signed path, URL-8) and the query for a call.
func (e *endpoint) requestTarget(subPath string, params []Param) (path, query string, err error) {
	path = e.path
	if subPath != "" {
		if strings.ContainsAny(subPath, "?#") {
			return "", "", configError("the sub-path %q contains ? or #; pass query parameters as Params", subPath)
		}
		path = strings.TrimRight(path, "/") + "/" + escapePath(strings.TrimLeft(subPath, "/"))
	}
	if path == "" {
		path = "/"
	}
	parts := make([]string, 0, len(params)+1)
	if e.query != "" {
		parts = append(parts, e.query)
	}
	for _, p := range params {
		if p.NoValue {
			parts = append(parts, escapeQuery(p.Key))
		} else {
			parts = append(parts, escapeQuery(p.Key)+"="+escapeQuery(p.Value))
		}
	}
	return path, strings.Join(parts, "&"), nil
}
