package wire

import (
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

// Body is a request's body with its endpoint's size limit (DESIGN rule 4). It is read
// on demand, so a dialect checks first what its wire format checks first (headers,
// the media type) and a refused request's body is never read.
type Body struct {
	r   *http.Request
	max int64
}

// NewBody is r's body, of at most max bytes.
func NewBody(r *http.Request, max int64) Body { return Body{r: r, max: max} }

// Read returns the whole body. One over the limit is refused with TooLarge: as soon as
// its Content-Length declares it, else after max+1 bytes.
func (b Body) Read() ([]byte, error) {
	if reqlog.DeclaresOver(b.r, b.max) {
		return nil, TooLarge(b.max)
	}
	body, err := io.ReadAll(io.LimitReader(b.r.Body, b.max+1))
	if err != nil {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMalformedBody, "request body could not be read").WithCause(err)
	}
	if int64(len(body)) > b.max {
		return nil, TooLarge(b.max)
	}
	return body, nil
}

// JSON checks that the media type is application/json (RFC 8259 §11) and reads the body.
func (b Body) JSON() ([]byte, error) {
	mt, _, err := mime.ParseMediaType(b.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonContentType, "Content-Type must be application/json")
	}
	return b.Read()
}

// TooLarge is the refusal of a body over max bytes: 413 (RFC 9110 §15.5.14), Reason
// ReasonBodyTooLarge, which a dialect's error table may answer in its own words.
func TooLarge(max int64) *jeton.Error {
	return &jeton.Error{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonBodyTooLarge,
		Description: fmt.Sprintf("request body is larger than %d KiB", max>>10), Status: http.StatusRequestEntityTooLarge}
}
