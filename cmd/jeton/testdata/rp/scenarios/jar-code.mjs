// A signed request object (RFC 9101): openid-client's buildAuthorizationUrlWithJAR
// puts the whole authorization request in a JWT signed with the client's ES256 key
// (env.clients.jar.key, PKCS #8 PEM; the server has its public half) and sends only
// client_id and request; the customer signs in and the code flow completes.
import * as client from 'openid-client';
import { makeFetch, discover, signIn } from '../lib.mjs';

export default async function (env) {
  const { fetch, trace } = makeFetch(env);
  const c = env.clients.jar;
  const config = await discover(env, fetch, c.client_id, client.ClientSecretBasic(c.client_secret));
  const der = Buffer.from(c.key.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const key = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authURL = await client.buildAuthorizationUrlWithJAR(config, {
    redirect_uri: c.redirect_uri, scope: 'openid profile', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }, key);
  const back = await signIn(env, fetch, authURL.href);
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
  return {
    authorization_url: authURL.href, query: [...authURL.searchParams.keys()].sort(),
    sub: tokens.claims()?.sub, access_token: tokens.access_token, trace,
  };
}
