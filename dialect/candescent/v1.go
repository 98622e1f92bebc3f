package candescent

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

// CustomerSource finds a customer (for the V1 answer's di_member_number).
type CustomerSource interface {
	GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error)
}

// MemberNumberClaim is the customer claim V1 answers as di_member_number.
const MemberNumberClaim = "member_number"

// v1Token is the legacy XML answer of POST {prefix}/v1/oauth/token.
type v1Token struct {
	XMLName               xml.Name `xml:"token"`
	AccessToken           string   `xml:"access_token"`
	ExpiresIn             int64    `xml:"expires_in"`
	RefreshToken          string   `xml:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64    `xml:"refresh_token_expires_in,omitempty"`
	FIID                  string   `xml:"di_fiid"`
	FICustomer            string   `xml:"di_ficustomer,omitempty"`
	MemberNumber          string   `xml:"di_member_number,omitempty"`
}

// v1Status is the legacy XML error.
type v1Status struct {
	XMLName       xml.Name `xml:"Status"`
	StatusMessage string   `xml:"statusMessage"`
	ErrorType     string   `xml:"errorInfo>errorType"`
	ErrorCode     string   `xml:"errorInfo>errorCode"`
	ErrorMessage  string   `xml:"errorInfo>errorMessage"`
}

// v1Codec is the legacy endpoint, POST {prefix}/v1/oauth/token: di_tid and di_fiid
// headers, Basic auth, form grant_type (default password; client_credentials
// allowed), XML answers. It is enabled per FI (CandescentSettings.V1Enabled) and its
// tokens live at most V1TTL. It keeps the XML token it answers with.
type v1Codec struct{ d *Dialect }

var (
	_ dialect.Codec[v1Token]    = v1Codec{}
	_ dialect.Finisher[v1Token] = v1Codec{}
)

func (c v1Codec) Decode(r *http.Request, body wire.Body) (token.Request, v1Token, error) {
	if _, err := transactionID(r, headerV1TID); err != nil {
		return token.Request{}, v1Token{}, err
	}
	req, err := c.d.decodeV1(r, body)
	return req, v1Token{}, err
}

// Finish builds the XML token of a success.
func (c v1Codec) Finish(r *http.Request, x dialect.Exchange[v1Token]) dialect.Exchange[v1Token] {
	if x.Err == nil {
		x.State, x.Err = c.d.v1Answer(r.Context(), r.Header.Get(headerV1FIID), x.Result)
	}
	return x
}

func (v1Codec) Encode(w http.ResponseWriter, r *http.Request, x dialect.Exchange[v1Token]) {
	echoTransaction(w, r, headerV1TID)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if x.Err != nil {
		writeV1Error(w, x.Request.GrantType, x.Err)
		return
	}
	writeXML(w, http.StatusOK, x.State)
}

// decodeV1 reads the legacy request. Only password and client_credentials are V1
// grants; anything else is an invalid grant type before the engine sees it.
func (d *Dialect) decodeV1(r *http.Request, body wire.Body) (token.Request, error) {
	inst, err := d.inst.institution(r, headerV1FIID, true)
	if err != nil {
		return token.Request{}, err
	}
	if err := d.v1Enabled(r.Context(), inst); err != nil {
		return token.Request{}, err
	}
	form, err := body.Form()
	if err != nil {
		return token.Request{}, err
	}
	req := token.Request{GrantType: form["grant_type"], Username: form["username"], Password: form["password"],
		InstitutionID: inst, AccessTTL: d.cfg.V1TTL}
	if req.GrantType == "" {
		req.GrantType = jeton.GrantPassword
	}
	if req.GrantType != jeton.GrantPassword && req.GrantType != jeton.GrantClientCredentials {
		return req, jeton.Errorf(jeton.CodeUnsupportedGrantType, jeton.ReasonNone, "V1 grants are password and client_credentials").WithParam("grant_type")
	}
	req.Credentials, err = basicCredentials(r)
	return req, err
}

// v1Enabled refuses an FI whose V1 endpoint is off (the default).
func (d *Dialect) v1Enabled(ctx context.Context, institutionID string) error {
	s, err := d.cfg.Settings.GetCandescentSettings(ctx, institutionID)
	switch {
	case errors.Is(err, jeton.ErrNotFound) || err == nil && !s.V1Enabled:
		return dialectError(reasonV1Disabled, "the V1 token endpoint is not enabled for this institution")
	case err != nil:
		return jeton.ServerError(err)
	}
	return nil
}

// v1Answer builds the XML token; a customer token names the customer and, when the
// customer has one, the member number.
func (d *Dialect) v1Answer(ctx context.Context, fiid string, res *token.Result) (v1Token, error) {
	out := v1Token{AccessToken: res.AccessToken, ExpiresIn: int64(res.ExpiresIn / time.Second), FIID: fiid}
	if res.RefreshToken != "" {
		out.RefreshToken, out.RefreshTokenExpiresIn = res.RefreshToken, int64(res.RefreshTTL/time.Second)
	}
	if res.Subject == res.ClientID {
		return out, nil
	}
	out.FICustomer = res.Subject
	cu, err := d.cfg.Customers.GetCustomer(ctx, res.InstitutionID, res.Subject)
	if err != nil {
		return out, jeton.ServerError(err)
	}
	if n, ok := cu.Claims[MemberNumberClaim].(string); ok {
		out.MemberNumber = n
	}
	return out, nil
}

// writeV1Error writes err as the legacy XML Status through the error table. V1
// answers only 400, 401 and 500.
func writeV1Error(w http.ResponseWriter, grant string, err error) {
	e := jeton.AsError(err)
	a := lookup(grant, e)
	st := status(w, a, e)
	switch {
	case st >= 500:
		st = http.StatusInternalServerError
	case st != http.StatusUnauthorized:
		st = http.StatusBadRequest
	}
	writeXML(w, st, v1Status{StatusMessage: "Failure", ErrorType: a.V1Type, ErrorCode: a.Code, ErrorMessage: a.Message})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte("<Status><statusMessage>Failure</statusMessage></Status>")
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}
