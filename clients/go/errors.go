package eas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
)

// Kind classifies an error. Kinds form the hierarchy of the spec (ERR-1, ERR-2): every
// status kind is also ErrStatus, the 5xx kinds are also ErrServer, the transport kinds are
// also ErrTransport. A Kind is itself an error, so it works as an errors.Is target:
//
//	if errors.Is(err, eas.ErrQueueFull) { /* back off */ }
type Kind int

// The error kinds. Their String values are the spec's error class names.
const (
	KindEAS Kind = iota // the root: every error the client returns
	KindConfig
	KindPayload
	KindDiscovery
	KindTransport
	KindConnect
	KindRead
	KindReadTimeout
	KindResponseTooLarge
	KindDeadlineExceeded
	KindStatus
	KindBadRequest
	KindAuthentication
	KindPermissionDenied
	KindNotFound
	KindServerTimeout
	KindRateLimit
	KindQueueFull
	KindServer
	KindInternalServer
	KindBadGateway
	KindServiceUnavailable
	KindGatewayTimeout
	KindStream
	KindStreamRead
	KindStreamTimeout
	KindStreamIncomplete
	KindStreamProtocol
	KindStreamContentType
	KindStreamEvent
)

// Sentinels for errors.Is; each is the Kind of the same name.
var (
	ErrEAS                error = KindEAS
	ErrConfig             error = KindConfig
	ErrPayload            error = KindPayload
	ErrDiscovery          error = KindDiscovery
	ErrTransport          error = KindTransport
	ErrConnect            error = KindConnect
	ErrRead               error = KindRead
	ErrReadTimeout        error = KindReadTimeout
	ErrResponseTooLarge   error = KindResponseTooLarge
	ErrDeadlineExceeded   error = KindDeadlineExceeded
	ErrStatus             error = KindStatus
	ErrBadRequest         error = KindBadRequest
	ErrAuthentication     error = KindAuthentication
	ErrPermissionDenied   error = KindPermissionDenied
	ErrNotFound           error = KindNotFound
	ErrServerTimeout      error = KindServerTimeout
	ErrRateLimit          error = KindRateLimit
	ErrQueueFull          error = KindQueueFull
	ErrServer             error = KindServer
	ErrInternalServer     error = KindInternalServer
	ErrBadGateway         error = KindBadGateway
	ErrServiceUnavailable error = KindServiceUnavailable
	ErrGatewayTimeout     error = KindGatewayTimeout
	ErrStream             error = KindStream
	ErrStreamRead         error = KindStreamRead
	ErrStreamTimeout      error = KindStreamTimeout
	ErrStreamIncomplete   error = KindStreamIncomplete
	ErrStreamProtocol     error = KindStreamProtocol
	ErrStreamContentType  error = KindStreamContentType
	ErrStreamEvent        error = KindStreamEvent
)

var kindNames = map[Kind]string{
	KindEAS:                "EASError",
	KindConfig:             "ConfigError",
	KindPayload:            "PayloadError",
	KindDiscovery:          "DiscoveryError",
	KindTransport:          "TransportError",
	KindConnect:            "ConnectError",
	KindRead:               "ReadError",
	KindReadTimeout:        "ReadTimeoutError",
	KindResponseTooLarge:   "ResponseTooLargeError",
	KindDeadlineExceeded:   "DeadlineExceededError",
	KindStatus:             "StatusError",
	KindBadRequest:         "BadRequestError",
	KindAuthentication:     "AuthenticationError",
	KindPermissionDenied:   "PermissionDeniedError",
	KindNotFound:           "NotFoundError",
	KindServerTimeout:      "ServerTimeoutError",
	KindRateLimit:          "RateLimitError",
	KindQueueFull:          "QueueFullError",
	KindServer:             "ServerError",
	KindInternalServer:     "InternalServerError",
	KindBadGateway:         "BadGatewayError",
	KindServiceUnavailable: "ServiceUnavailableError",
	KindGatewayTimeout:     "GatewayTimeoutError",
	KindStream:             "StreamError",
	KindStreamRead:         "StreamReadError",
	KindStreamTimeout:      "StreamTimeoutError",
	KindStreamIncomplete:   "StreamIncompleteError",
	KindStreamProtocol:     "StreamProtocolError",
	KindStreamContentType:  "StreamContentTypeError",
	KindStreamEvent:        "StreamEventError",
}

var kindParent = map[Kind]Kind{
	KindConnect:            KindTransport,
	KindRead:               KindTransport,
	KindReadTimeout:        KindTransport,
	KindResponseTooLarge:   KindTransport,
	KindBadRequest:         KindStatus,
	KindAuthentication:     KindStatus,
	KindPermissionDenied:   KindStatus,
	KindNotFound:           KindStatus,
	KindServerTimeout:      KindStatus,
	KindRateLimit:          KindStatus,
	KindQueueFull:          KindStatus,
	KindServer:             KindStatus,
	KindInternalServer:     KindServer,
	KindBadGateway:         KindServer,
	KindServiceUnavailable: KindServer,
	KindGatewayTimeout:     KindServer,
	KindStreamRead:         KindStream,
	KindStreamTimeout:      KindStream,
	KindStreamIncomplete:   KindStream,
	KindStreamProtocol:     KindStream,
	KindStreamContentType:  KindStream,
	KindStreamEvent:        KindStream,
}

// String returns the spec's class name, e.g. "QueueFullError".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error makes a Kind usable as a sentinel error.
func (k Kind) Error() string { return "eas: " + k.String() }

// IsA reports whether k is parent or one of its descendants (ERR-4).
func (k Kind) IsA(parent Kind) bool {
	if parent == KindEAS {
		return true
	}
	for cur, ok := k, true; ok; cur, ok = kindParent[cur] {
		if cur == parent {
			return true
		}
	}
	return false
}

var statusKinds = map[int]Kind{
	400: KindBadRequest, 401: KindAuthentication, 403: KindPermissionDenied, 404: KindNotFound,
	408: KindServerTimeout, 429: KindRateLimit, 450: KindQueueFull, 500: KindInternalServer,
	502: KindBadGateway, 503: KindServiceUnavailable, 504: KindGatewayTimeout,
}

// KindForStatus maps a non-2xx HTTP status to its error kind (ERR-1).
func KindForStatus(status int) Kind {
	if k, ok := statusKinds[status]; ok {
		return k
	}
	if status >= 500 && status <= 599 {
		return KindServer
	}
	return KindStatus
}

// bodyExcerptLen is how much of a failed response's body an Error keeps (ERR-3).
const bodyExcerptLen = 512

// Error is every error this package returns. Use errors.As to read its fields and errors.Is
// with a sentinel (ErrQueueFull, ErrServer, ErrTransport, …) to test its kind.
//
//	var e *eas.Error
//	if errors.As(err, &e) && e.Status == 450 { … }
//
// Neither Error() nor any format verb shows the token.
type Error struct {
	Kind      Kind
	Status    int         // HTTP status for status kinds, else 0
	RequestID string      // from X-Request-Id, X-Eas-Request-Id or X-Eas-Queueservice-Request-Id (token masked)
	Header    http.Header // a status error's response headers: secret values "***", the token masked (SEC-3)
	Attempts  int         // attempts made by the call
	Body      []byte      // first 512 bytes of the response body (token masked)
	Endpoint  string      // the service URL (never carries the token)
	Message   string      // what went wrong and what to do
	Err       error       // the cause: a *Cause describing a transport failure, or for DeadlineExceeded the last attempt's *Error

	// Stream errors (ErrStream, STREAM-10) only: the body bytes read before the failure; how many
	// events Next delivered before it, and the last of them (those whose data adds up to at most
	// 1 MiB, always the last one; none when the stream was read as bytes or lines); and for
	// StreamContentTypeError the Content-Type the answer had.
	BytesReceived   int64
	EventsDelivered int64
	Events          []Event
	ContentType     string

	// BudgetExhausted: the failure was retryable but the client's retry budget refused the
	// retry (BUDGET-2); the service is failing most calls.
	BudgetExhausted bool
}

func (e *Error) Error() string {
	if e.Message != "" {
		return "eas: " + e.Kind.String() + ": " + e.Message
	}
	return "eas: " + e.Kind.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches a Kind sentinel by the kind hierarchy.
func (e *Error) Is(target error) bool {
	if k, ok := target.(Kind); ok {
		return e.Kind.IsA(k)
	}
	return false
}

// Format keeps %v, %+v and %s to the message: the struct holds nothing secret, but a cause
// from the transport might, so it is shown only through its (already masked) text.
func (e *Error) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('+') {
			fmt.Fprintf(f, "%s (status=%d request_id=%q attempts=%d endpoint=%s)",
				e.Error(), e.Status, e.RequestID, e.Attempts, e.Endpoint)
			return
		}
		fmt.Fprint(f, e.Error())
	case 's':
		fmt.Fprint(f, e.Error())
	case 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprintf(f, "%%!%c(*eas.Error=%s)", verb, e.Error())
	}
}

func newError(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func configError(format string, args ...any) *Error {
	return newError(KindConfig, format, args...)
}

func payloadError(format string, args ...any) *Error {
	return newError(KindPayload, format, args...)
}

var requestIDHeaders = []string{"X-Request-Id", "X-Eas-Request-Id", "X-Eas-Queueservice-Request-Id"}

// requestID picks the first present request-id header (ERR-3).
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if v := h.Get(name); v != "" {
			return v
		}
	}
	return ""
}

var statusHints = map[Kind]string{
	KindBadRequest:         "the service rejected the input; check the payload format the model expects",
	KindAuthentication:     "check the token (EAS_TOKEN or the token argument) for this service",
	KindPermissionDenied:   "the token is not allowed to call this service; check its access",
	KindNotFound:           "check the endpoint and service name",
	KindServerTimeout:      "the service took too long; retry later or raise its timeout",
	KindRateLimit:          "too many requests; slow down or raise the service's limit",
	KindQueueFull:          "the service queue is full; retry with backoff or scale the service",
	KindInternalServer:     "the model raised an error; check the service logs",
	KindBadGateway:         "the gateway could not reach an instance; retry later",
	KindServiceUnavailable: "no healthy instance; retry later or check the service status",
	KindGatewayTimeout:     "the gateway timed out waiting for the service; retry later",
	KindServer:             "the service failed; retry later or check its logs",
	KindStatus:             "unexpected status; check the endpoint",
}

// statusError builds the error for a non-2xx answer (ERR-1, ERR-3). The token is masked in the
// whole body before any cut (SEC-3), so no prefix of it survives at the 200- or 512-byte edge.
func statusError(status int, header http.Header, body []byte, service, endpoint, token string, attempts int) *Error {
	kind := KindForStatus(status)
	text, excerpt := bodyExcerpts(body, token)
	return &Error{
		Kind:      kind,
		Status:    status,
		RequestID: maskToken(requestID(header), token),
		Header:    maskHeader(header, token),
		Attempts:  attempts,
		Body:      excerpt,
		Endpoint:  endpoint,
		Message:   fmt.Sprintf("HTTP %d from service %s: %s; %s", status, serviceName(service, endpoint), text, statusHints[kind]),
	}
}

// bodyExcerpts masks the token in the whole body, then cuts the message's 200-byte text and
// the error's 512-byte Body from it (ERR-3, SEC-3).
func bodyExcerpts(body []byte, token string) (text string, excerpt []byte) {
	masked := body
	if token != "" && bytes.Contains(body, []byte(token)) {
		masked = []byte(maskToken(string(body), token))
	}
	excerpt = masked
	if len(excerpt) > bodyExcerptLen {
		excerpt = excerpt[:bodyExcerptLen]
	}
	shown := masked
	if len(shown) > 200 {
		shown = shown[:200]
	}
	text = strings.ToValidUTF8(string(shown), "\uFFFD")
	if len(shown) == 0 {
		text = "(empty body)"
	}
	return text, append([]byte(nil), excerpt...)
}

// serviceName is how messages name the service: its name, or the URL of a custom endpoint.
func serviceName(service, endpoint string) string {
	if service == "" {
		return endpoint
	}
	return service
}

// asError returns err as *Error when it is one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Cause describes the transport failure behind an *Error. It keeps the failure's text (the
// token masked) and the low-level sentinel it wrapped (a syscall.Errno such as ECONNRESET,
// io.ErrUnexpectedEOF, context.DeadlineExceeded) for errors.Is, and drops the engine's own
// error values, which may hold request data (SEC-4).
//
//	if errors.Is(err, syscall.ECONNREFUSED) { … }
type Cause struct {
	Text string // the engine's description, token masked
	err  error  // a sentinel that carries no request data, or nil
}

func (c *Cause) Error() string { return c.Text }

// Unwrap returns the sentinel the failure wrapped, if any.
func (c *Cause) Unwrap() error { return c.err }

// newCause keeps err's text and the first data-free sentinel in its chain.
func newCause(err error, token string) *Cause {
	c := &Cause{Text: maskToken(err.Error(), token)}
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		c.err = errno
	case errors.Is(err, context.DeadlineExceeded):
		c.err = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		c.err = context.Canceled
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.err = io.ErrUnexpectedEOF
	case errors.Is(err, io.EOF):
		c.err = io.EOF
	}
	return c
}
