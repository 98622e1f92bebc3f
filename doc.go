// Package jeton holds the domain of the jeton authorization server: institutions,
// clients, customers, signing keys, refresh-token families, assertion ids, revocations
// and audit events, the Store interface every backend implements, and the protocol
// error type the engine returns.
//
// The package imports neither net/http nor database/sql: the wire formats live in
// dialect/*, the SQL in sqlite/ and postgres/.
package jeton
