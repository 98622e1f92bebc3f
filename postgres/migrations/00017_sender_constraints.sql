-- +goose Up
-- Issue 18 (parts 1-2): sender-constrained tokens, DPoP (RFC 9449) and mTLS (RFC 8705).
-- A client's sender-constraint registration is one JSON object (jeton.SenderConstraints:
-- dpop_bound_access_tokens, tls_client_auth_subject_dn, tls_client_auth_san_dns,
-- tls_client_certificate_bound_access_tokens). An opaque access token keeps its cnf
-- (RFC 7800 §3.1: a DPoP key thumbprint or a certificate's SHA-256), a refresh family
-- the DPoP key its tokens are bound to (RFC 9449 §5), and an authorization code the
-- dpop_jkt of its authorization request (RFC 9449 §10). '' means unbound.
ALTER TABLE clients ADD COLUMN sender_constraints jsonb NOT NULL DEFAULT '{}';
ALTER TABLE access_tokens ADD COLUMN cnf_jkt text NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN cnf_x5t_s256 text NOT NULL DEFAULT '';
ALTER TABLE refresh_families ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE authorization_codes DROP COLUMN dpop_jkt;
ALTER TABLE refresh_families DROP COLUMN dpop_jkt;
ALTER TABLE access_tokens DROP COLUMN cnf_x5t_s256;
ALTER TABLE access_tokens DROP COLUMN cnf_jkt;
ALTER TABLE clients DROP COLUMN sender_constraints;
