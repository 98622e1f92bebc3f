// Package wire holds the request parsing that several dialects share: the request body
// within its endpoint's size limit, RFC 6749 form rules (§3.2, Appendix B) and client
// credentials (§2.3: HTTP Basic with form-urlencoded id and secret, client_secret_post,
// RFC 7523 assertions). It answers with *jeton.Error values only; each dialect maps them
// onto its own wire codes in its error table.
package wire
