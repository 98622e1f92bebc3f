// A DPoP-bound authorization code flow with PAR (RFC 9449 §10.1, RFC 9126): the proof
// sent to PAR binds the code; the token request, a refresh and userinfo each carry a
// fresh proof, and with --dpop-nonce the server's first answer is use_dpop_nonce,
// which openid-client retries with the nonce. Userinfo refuses the token as Bearer.
import * as client from 'openid-client';
import { makeFetch, discover, signIn, publicJWK } from '../lib.mjs';

export default async function (env) {
  const { fetch, trace } = makeFetch(env);
  const c = env.clients.code;
  const config = await discover(env, fetch, c.client_id, client.ClientSecretBasic(c.client_secret));
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authURL = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: c.redirect_uri, scope: 'openid profile offline_access', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }, { DPoP });
  const back = await signIn(env, fetch, authURL.href);
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  const userinfo2 = await client.fetchUserInfo(config, refreshed.access_token, claims.sub, { DPoP });
  let bearerRefused = false;
  try {
    await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  } catch {
    bearerRefused = true;
  }
  return {
    jwk: await publicJWK(keyPair), token_type: tokens.token_type, refreshed_token_type: refreshed.token_type,
    access_token: tokens.access_token, refreshed_access_token: refreshed.access_token,
    sub: claims.sub, userinfo_sub: userinfo.sub, userinfo2_sub: userinfo2.sub, bearer_refused: bearerRefused, trace,
  };
}
