// A DPoP client_credentials call (RFC 9449 §5): the token comes back token_type DPoP.
import * as client from 'openid-client';
import { makeFetch, discover, publicJWK } from '../lib.mjs';

export default async function (env) {
  const { fetch, trace } = makeFetch(env);
  const c = env.clients.machine;
  const config = await discover(env, fetch, c.client_id, client.ClientSecretBasic(c.client_secret));
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const tokens = await client.clientCredentialsGrant(config, { scope: 'accounts' }, { DPoP });
  return { jwk: await publicJWK(keyPair), token_type: tokens.token_type, access_token: tokens.access_token, trace };
}
