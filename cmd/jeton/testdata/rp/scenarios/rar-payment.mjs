// A payment asked for as authorization_details (RFC 9396): the customer approves it on
// the consent page, and openid-client reads it back from the token response (§7) and
// from token introspection (§9.2).
import * as client from 'openid-client';
import { makeFetch, discover, signIn } from '../lib.mjs';

export default async function (env) {
  const { fetch, trace } = makeFetch(env);
  const c = env.clients.rar;
  const config = await discover(env, fetch, c.client_id, client.ClientSecretBasic(c.client_secret));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: c.redirect_uri, scope: 'openid', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    authorization_details: JSON.stringify(env.payment),
  });
  const back = await signIn(env, fetch, authURL.href);
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
  const introspection = await client.tokenIntrospection(config, tokens.access_token);
  return {
    token_details: tokens.authorization_details ?? null,
    introspection_active: introspection.active, introspection_details: introspection.authorization_details ?? null,
    access_token: tokens.access_token, trace,
  };
}
