// Package dialect is the HTTP half of the token pipeline that every dialect shares
// (docs/architecture.md): an Endpoint takes the request, checks the method, gives the
// dialect's Codec the body within the endpoint's size limit, records the request-log
// fields, calls the engine and has the Codec write the answer. A dialect supplies only
// its wire format: a Codec and an error table.
package dialect

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// Codec is one dialect's wire format at its token endpoint. S is what the dialect
// keeps from decoding to answering (struct{} when nothing).
type Codec[S any] interface {
	// Decode reads a POST into the engine's request. The request's grant type and
	// client id are logged even when err is set.
	Decode(r *http.Request, body wire.Body) (token.Request, S, error)
	// Encode writes the answer: x.Result, or x.Err (a *jeton.Error; anything else
	// is answered as a server error) through the dialect's error table.
	Encode(w http.ResponseWriter, r *http.Request, x Exchange[S])
}

// Finisher is a Codec whose answer needs more than the engine's result (CardCore's
// application ids, Candescent V1's customer). Finish runs after every engine call;
// an error it sets is answered and logged like the engine's.
type Finisher[S any] interface {
	Finish(r *http.Request, x Exchange[S]) Exchange[S]
}

// Exchange is one token request on its way through an Endpoint.
type Exchange[S any] struct {
	Request token.Request // as decoded; zero when refused before decoding
	State   S
	Result  *token.Result
	Err     error
}

// Config names an endpoint and bounds its requests.
type Config struct {
	// Dialect is logged as the request's dialect.
	Dialect string
	// MaxBody is the largest body the endpoint reads (DESIGN rule 4).
	MaxBody int64
	// Grant is logged for a request refused before it is decoded, by a dialect that
	// has only one grant.
	Grant string
}

// Endpoint is a dialect's token endpoint (RFC 6749 §3.2).
type Endpoint[S any] struct {
	engine *token.Engine
	codec  Codec[S]
	finish Finisher[S] // nil when the codec has no Finish step
	cfg    Config
}

// New builds the token endpoint of a dialect: codec over engine.
func New[S any](engine *token.Engine, codec Codec[S], cfg Config) *Endpoint[S] {
	f, _ := codec.(Finisher[S])
	return &Endpoint[S]{engine: engine, codec: codec, finish: f, cfg: cfg}
}

// ServeHTTP answers one token request. Handlers never log (reqlog): the request's
// dialect, grant, client id and error are recorded here for the access-log line.
func (e *Endpoint[S]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect, info.Grant = e.cfg.Dialect, e.cfg.Grant
	x := e.exchange(w, r, info)
	info.Err = x.Err
	if x.Err == nil && x.Result != nil {
		info.Issued = x.Result.Issued
	}
	e.codec.Encode(w, r, x)
}

func (e *Endpoint[S]) exchange(w http.ResponseWriter, r *http.Request, info *reqlog.Info) Exchange[S] {
	var x Exchange[S]
	if r.Method != http.MethodPost {
		// RFC 6749 §3.2: the client MUST use POST; RFC 9110 §15.5.6 wants Allow.
		w.Header().Set("Allow", http.MethodPost)
		x.Err = MethodNotAllowed()
		return x
	}
	x.Request, x.State, x.Err = e.codec.Decode(r, wire.NewBody(r, e.cfg.MaxBody))
	// The TLS client certificate reaches client authentication whatever the dialect's
	// wire format (RFC 8705 §2).
	x.Request.Credentials.TLSChain = wire.TLSChain(r)
	info.Grant, info.ClientID = x.Request.GrantType, x.Request.Credentials.ClientID
	if x.Err != nil {
		return x
	}
	x.Result, x.Err = e.engine.Token(r.Context(), x.Request)
	if e.finish != nil {
		x = e.finish.Finish(r, x)
	}
	return x
}

// ReasonMethod marks the refusal of a method other than POST, for error tables that
// answer it in their own words.
const ReasonMethod jeton.Reason = "method_not_allowed"

// MethodNotAllowed is the refusal of a token request not sent with POST: 405.
func MethodNotAllowed() *jeton.Error {
	return &jeton.Error{Code: jeton.CodeInvalidRequest, Reason: ReasonMethod,
		Description: "the token endpoint accepts POST only", Status: http.StatusMethodNotAllowed}
}
