// Helpers shared by the scenarios: HTTPS to the test server (its pinned certificate,
// optionally a client certificate, through an undici Agent), a trace of every answer
// (status, OAuth error, DPoP-Nonce) for the Go test, discovery, and a customer's
// sign-in on jeton's pages.
import * as client from 'openid-client';
import { Agent } from 'undici';

// makeFetch returns a fetch over env.ca (and cert/key when given) and the trace it
// appends to.
export function makeFetch(env, { cert, key } = {}) {
  const dispatcher = new Agent({ connect: { ca: env.ca, cert, key } });
  const trace = [];
  const f = async (url, options = {}) => {
    const res = await fetch(url, { ...options, dispatcher });
    const entry = { url: new URL(url).pathname, status: res.status };
    const nonce = res.headers.get('dpop-nonce');
    if (nonce) entry.nonce = true;
    const www = res.headers.get('www-authenticate');
    if (www) entry.www = www;
    if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        entry.error = (await res.clone().json()).error;
      } catch {}
    }
    trace.push(entry);
    return res;
  };
  return { fetch: f, trace };
}

// discover runs OpenID discovery for clientId with auth, over f.
export function discover(env, f, clientId, auth, metadata = {}) {
  return client.discovery(new URL(env.issuer), clientId, metadata, auth, { [client.customFetch]: f });
}

// signIn follows an authorization URL through jeton's login and consent pages as a
// browser would and returns the URL the customer is sent back to.
export async function signIn(env, f, authURL) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await f(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  };
  const form = (body) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  const csrf = (html) => {
    const m = html.match(/name="csrf" value="([^"]+)"/);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1];
  };
  let res = await go(authURL);
  let html = await res.text();
  res = await go(env.issuer + '/oauth2/authorize/login', form({ csrf: csrf(html), username: env.username, password: env.password }));
  if (res.status === 200) {
    html = await res.text();
    res = await go(env.issuer + '/oauth2/authorize/consent', form({ csrf: csrf(html), decision: 'allow' }));
  }
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`sign-in ended with ${res.status}, not a redirect`);
  return new URL(location);
}

// publicJWK is the public half of a DPoP key pair as a JWK (the Go test computes its
// thumbprint and compares it with cnf.jkt).
export async function publicJWK(keyPair) {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  return { kty, crv, x, y };
}
