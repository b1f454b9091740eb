package eas

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
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

// checkHeaders validates caller headers: names must be HTTP tokens, values free of CR, LF and
// NUL, and with a token the credential headers are refused (HDR-3).
func checkHeaders(h map[string]string, haveToken bool) error {
	for name, value := range h {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !isTokenChar(r) }) {
			return configError("the header name %q is not a valid HTTP header name", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return configError("the value of header %q contains CR, LF or NUL; remove them", name)
		}
		if haveToken && credentialHeaders[strings.ToLower(name)] {
			return configError("the header %q is set from the token; remove it from the headers", name)
		}
	}
	return nil
}

func isTokenChar(r rune) bool {
	return r < 0x7f && r > ' ' && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}
