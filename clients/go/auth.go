package eas

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// signature is what signed mode adds to a request (AUTH-2).
type signature struct {
	contentMD5    string
	date          string
	stringToSign  string
	authorization string
}

// sign computes the signed-mode headers for one attempt: lowercase hex MD5 of the body as
// sent, the attempt's time in RFC 1123 GMT, and "EAS " + base64(HMAC-SHA1(token, message)).
func sign(token string, body []byte, contentType string, now time.Time, path string) signature {
	sum := md5.Sum(body)
	digest := hex.EncodeToString(sum[:])
	date := now.UTC().Format(http.TimeFormat)
	msg := "POST\n" + digest + "\n" + contentType + "\n" + date + "\n" + path
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(msg))
	return signature{
		contentMD5:    digest,
		date:          date,
		stringToSign:  msg,
		authorization: "EAS " + base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	}
}

// checkToken refuses tokens that would corrupt a header (AUTH-1); the message never shows
// the token itself.
func checkToken(token string) error {
	if token == "" {
		return configError("the token is empty; pass a token, or none at all for a service without authentication")
	}
	for _, r := range token {
		if r <= ' ' || r >= 0x7f {
			return configError("the token contains whitespace, control or non-ASCII characters; copy it again without them")
		}
	}
	return nil
}

// credentialHeaders are the headers a configured token owns (HDR-3).
var credentialHeaders = map[string]bool{"authorization": true, "date": true, "content-md5": true}

// framingHeaders are written by the HTTP engine alone (HDR-5): a caller's Content-Length that
// disagrees with the body would let a second request ride in the same connection.
var framingHeaders = map[string]bool{"content-length": true, "transfer-encoding": true, "host": true, "connection": true}

// checkHeaders validates caller headers before any I/O: names must be RFC 9110 tokens, values
// visible ASCII, space or tab (HDR-4); the framing headers are refused (HDR-5), and with a token
// so are the credential headers (HDR-3). Messages name the header, never its value.
func checkHeaders(h map[string]string, haveToken bool) error {
	for name, value := range h {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !isTokenChar(r) }) {
			return configError("the header name %q is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~ only); fix the name", name)
		}
		if i := badValueByte(value); i >= 0 {
			return configError("the value of header %q has a control or non-ASCII byte at index %d; send only visible ASCII, space and tab (percent-encode anything else)", name, i)
		}
		lower := strings.ToLower(name)
		if framingHeaders[lower] {
			return configError("the header %q is written by the HTTP engine from the body and URL; remove it from the headers", name)
		}
		if haveToken && credentialHeaders[lower] {
			return configError("the header %q is set from the token; remove it from the headers", name)
		}
	}
	return nil
}

// checkUserAgent says what is wrong with a caller's user agent (HDR-1, HDR-4), or "".
func checkUserAgent(ua string) string {
	if ua == "" {
		return "WithUserAgent(\"\"): name your application (\"my-app/1.2\") or leave the option out"
	}
	if i := badValueByte(ua); i >= 0 {
		return fmt.Sprintf("WithUserAgent: a control or non-ASCII byte at index %d; use visible ASCII and spaces only", i)
	}
	return ""
}

// badValueByte is the index of the first byte a header value may not hold (HDR-4: only visible
// ASCII, space and tab), or -1.
func badValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c > 0x7e {
			return i
		}
	}
	return -1
}

func isTokenChar(r rune) bool {
	return r < 0x7f && r > ' ' && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}
