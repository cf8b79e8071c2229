// A strict second OAuth client for edgeauth's e2e tests (issue 7), built on
// oauth4webapi (every response validation it has left on) and jose. It runs
// in two steps so that the Go test can play the browser in between:
//
//   node client.mjs start  --issuer ISS --client-id ID --redirect-uri URI --scope S --state-file F
//     discovery (RFC 8414), PKCE verifier, state and nonce; prints
//     {"authorization_url": ..., "state": ...} and keeps what step 2 needs
//     in F (mode 0600).
//   node client.mjs finish --state-file F --callback URL
//     validates the authorization response (state, iss per RFC 9207),
//     redeems the code (ID token validated, nonce checked), verifies the
//     access token against the JWKS with jose (typ at+jwt, RFC 9068),
//     refreshes (the refresh token must rotate), revokes the new refresh
//     token (RFC 7009) and checks that refreshing with it is invalid_grant.
//     Prints {"ok": bool, "checks": [{"name", "ok", "detail"}], "secrets": [...]}
//     and exits 1 unless every check passed. "secrets" lists the tokens seen
//     so that the Go test can check the server never logged them.
//
// Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage.
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const TIMEOUT_MS = 30_000;

// oauth4webapi refuses http:// endpoints unless allowInsecureRequests is
// set. It is set ONLY because the e2e server listens on plain HTTP on
// 127.0.0.1 (httptest or wrangler dev); anything else is refused here.
function requestOptions(issuer) {
  const host = new URL(issuer).hostname;
  const loopback = host === '127.0.0.1' || host === '[::1]' || host === 'localhost';
  if (new URL(issuer).protocol === 'http:' && !loopback) {
    throw new Error(`refusing plain http for a non-loopback issuer: ${issuer}`);
  }
  return {
    [oauth.allowInsecureRequests]: loopback,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  };
}

function usage(msg) {
  process.stderr.write(`client.mjs: ${msg}\n` +
    'usage: client.mjs start --issuer ISS --client-id ID --redirect-uri URI --scope S --state-file F\n' +
    '       client.mjs finish --state-file F --callback URL\n');
  process.exit(2);
}

async function discover(issuer) {
  const issuerURL = new URL(issuer);
  // algorithm 'oauth2': RFC 8414 metadata at
  // BASE/.well-known/oauth-authorization-server/t/T (path insertion).
  const res = await oauth.discoveryRequest(issuerURL, { algorithm: 'oauth2', ...requestOptions(issuer) });
  return oauth.processDiscoveryResponse(issuerURL, res);
}

async function start(args) {
  for (const k of ['issuer', 'client-id', 'redirect-uri', 'scope', 'state-file']) {
    if (!args[k]) usage(`start needs --${k}`);
  }
  const as = await discover(args.issuer);
  if (!as.code_challenge_methods_supported?.includes('S256')) {
    throw new Error('the metadata does not list S256 in code_challenge_methods_supported');
  }
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const u = new URL(as.authorization_endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', args['client-id']);
  u.searchParams.set('redirect_uri', args['redirect-uri']);
  u.searchParams.set('scope', args.scope);
  u.searchParams.set('state', state);
  u.searchParams.set('nonce', nonce);
  u.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  u.searchParams.set('code_challenge_method', 'S256');
  writeFileSync(args['state-file'], JSON.stringify({
    issuer: args.issuer, client_id: args['client-id'], redirect_uri: args['redirect-uri'],
    scope: args.scope, code_verifier: codeVerifier, state, nonce,
  }), { mode: 0o600 });
  process.stdout.write(JSON.stringify({ authorization_url: u.href, state }) + '\n');
}

// describe turns an error into a line for the report.
function describe(err) {
  if (err instanceof oauth.ResponseBodyError) {
    return `ResponseBodyError ${err.status} ${err.error}: ${err.error_description ?? ''}`;
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    return `WWWAuthenticateChallengeError ${err.status}: ${JSON.stringify(err.cause)}`;
  }
  if (err instanceof oauth.OperationProcessingError) {
    let cause = '';
    try { cause = JSON.stringify(err.cause); } catch { /* ignore */ }
    return `OperationProcessingError ${err.code ?? ''}: ${err.message}${cause ? ` (cause ${cause})` : ''}`;
  }
  return `${err?.name ?? 'Error'} ${err?.code ?? ''}: ${err?.message ?? String(err)}`;
}

async function finish(args) {
  if (!args['state-file']) usage('finish needs --state-file');
  if (!args.callback) usage('finish needs --callback');
  const saved = JSON.parse(readFileSync(args['state-file'], 'utf8'));
  const checks = [];
  const secrets = [];
  const note = (...s) => { for (const v of s) if (typeof v === 'string' && v) secrets.push(v); };
  // check runs one step; a failed step ends the run (later steps need it).
  const check = async (name, fn) => {
    try {
      const detail = await fn();
      checks.push({ name, ok: true, ...(detail ? { detail } : {}) });
      return true;
    } catch (err) {
      checks.push({ name, ok: false, detail: describe(err) });
      return false;
    }
  };
  const report = () => {
    const ok = checks.length > 0 && checks.every((c) => c.ok);
    process.stdout.write(JSON.stringify({ ok, checks, secrets }) + '\n');
    process.exit(ok ? 0 : 1);
  };

  const client = { client_id: saved.client_id };
  const auth = oauth.None();
  const opts = () => requestOptions(saved.issuer);
  let as, params, tokens, refreshed;

  await check('discovery', async () => { as = await discover(saved.issuer); }) || report();

  await check('authorization response (state, iss RFC 9207)', async () => {
    const cb = new URL(args.callback);
    note(cb.searchParams.get('code'));
    params = oauth.validateAuthResponse(as, client, cb, saved.state);
  }) || report();

  await check('code exchange (PKCE, ID token with nonce)', async () => {
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, saved.redirect_uri, saved.code_verifier, opts());
    tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: saved.nonce, requireIdToken: true });
    note(tokens.access_token, tokens.refresh_token, tokens.id_token);
    if (!tokens.refresh_token) throw new Error('no refresh_token in the token response');
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (claims.nonce !== saved.nonce) throw new Error('ID token nonce mismatch');
    return `ID token sub ${claims.sub}, token_type ${tokens.token_type}, scope ${tokens.scope ?? '(not returned)'}`;
  }) || report();

  await check('access token (jose jwtVerify, typ at+jwt, RFC 9068)', async () => {
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri), { timeoutDuration: TIMEOUT_MS });
    // No resource was asked for: edgeauth's aud is then the issuer.
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: as.issuer, audience: as.issuer, typ: 'at+jwt',
    });
    // RFC 9068 §2.2 required claims.
    for (const c of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) {
      if (payload[c] === undefined) throw new Error(`access token lacks the ${c} claim (RFC 9068 §2.2)`);
    }
    if (payload.client_id !== saved.client_id) throw new Error(`client_id ${payload.client_id}; want ${saved.client_id}`);
    return `alg ${protectedHeader.alg}, kid ${protectedHeader.kid}, sub ${payload.sub}, scope ${payload.scope}`;
  }) || report();

  await check('refresh (refresh token rotates)', async () => {
    const res = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, opts());
    refreshed = await oauth.processRefreshTokenResponse(as, client, res);
    note(refreshed.access_token, refreshed.refresh_token, refreshed.id_token);
    if (!refreshed.refresh_token) throw new Error('no refresh_token in the refresh response');
    if (refreshed.refresh_token === tokens.refresh_token) throw new Error('the refresh token did not rotate');
    if (refreshed.access_token === tokens.access_token) throw new Error('the access token did not change');
  }) || report();

  await check('revocation of the new refresh token (RFC 7009)', async () => {
    const res = await oauth.revocationRequest(as, client, auth, refreshed.refresh_token, opts());
    await oauth.processRevocationResponse(res);
  }) || report();

  await check('refresh with the revoked token is invalid_grant', async () => {
    const res = await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token, opts());
    try {
      await oauth.processRefreshTokenResponse(as, client, res);
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant') {
        return `${err.status} ${err.error}`;
      }
      throw err;
    }
    throw new Error('the revoked refresh token was accepted');
  });

  report();
}

const [cmd, ...rest] = process.argv.slice(2);
let args;
try {
  ({ values: args } = parseArgs({
    args: rest,
    options: {
      issuer: { type: 'string' }, 'client-id': { type: 'string' }, 'redirect-uri': { type: 'string' },
      scope: { type: 'string' }, 'state-file': { type: 'string' }, callback: { type: 'string' },
    },
  }));
} catch (err) {
  usage(err.message);
}
try {
  if (cmd === 'start') await start(args);
  else if (cmd === 'finish') await finish(args);
  else usage(`unknown step ${JSON.stringify(cmd)}`);
} catch (err) {
  process.stderr.write(`client.mjs ${cmd}: ${describe(err)}\n`);
  process.exit(1);
}
