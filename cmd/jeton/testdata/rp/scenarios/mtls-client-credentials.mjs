// An mTLS client (RFC 8705): tls_client_auth with a certificate from the trusted CA,
// over the discovery document's mtls_endpoint_aliases, through an undici Agent that
// presents the certificate; the token is certificate-bound (cnf.x5t#S256).
import * as client from 'openid-client';
import { makeFetch, discover } from '../lib.mjs';

export default async function (env) {
  const c = env.clients.mtls;
  const { fetch, trace } = makeFetch(env, { cert: c.cert, key: c.key });
  const config = await discover(env, fetch, c.client_id, client.TlsClientAuth(), { use_mtls_endpoint_aliases: true });
  const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' });
  return { token_type: tokens.token_type, access_token: tokens.access_token, trace };
}
