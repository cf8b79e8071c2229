// The peer of `make bench`: Cloudflare's workers-oauth-provider (pinned in
// bench/package.json) as a Worker that offers what edgeauth's bench
// scenarios need, written the way its README sets up one Worker
// (OAuthProvider with apiRoute, apiHandler and defaultHandler). bench/main.go
// loads it beside edgeauth; bench/README.md says what one operation is.
//
//   GET  /.well-known/oauth-authorization-server   the library's RFC 8414 document
//   GET  /authorize                                the application's authorize
//        step for a browser already signed in: parseAuthRequest (client,
//        redirect URI, PKCE), the session cookie looked up in KV,
//        completeAuthorization, a 302 to the client with the code
//   POST /token                                    the library's token endpoint
//        (authorization_code with PKCE, refresh_token rotation)
//   GET  /api/hello                                the library's own token check
//        (apiRoute), then a small JSON answer naming the user and client
//   POST /bench/client, POST /bench/signin?user=U  set-up only, never measured;
//        need "Authorization: Bearer ADMIN_TOKEN"
//
// "Already signed in" is the simplest honest session: POST /bench/signin
// makes a random 256-bit session id, stores {user} in KV under the
// SHA-256 of the id (session:HEX, one day) and sets it as the cookie sid.
// /authorize hashes the cookie and reads that KV entry: one SHA-256 and
// one KV get per authorization. There is no sign-in page and no password:
// without a valid session /authorize answers 401.
//
// Vars: BASE_URL (this Worker's origin: the issuer, and BASE_URL/api is the
// resource its tokens are for), ADMIN_TOKEN. KV binding: OAUTH_KV.
import { AuthorizationError, OAuthProvider } from "../node_modules/@cloudflare/workers-oauth-provider/dist/oauth-provider.js";

let provider, providerBase;

// The provider needs its resource's absolute URL, which holds the port the
// bench picked: it is made on the first request, from BASE_URL.
function oauth(env) {
  if (!provider || providerBase !== env.BASE_URL) {
    providerBase = env.BASE_URL;
    provider = new OAuthProvider({
      apiRoute: "/api",
      apiHandler: { fetch: hello },
      defaultHandler: { fetch: app },
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/token",
      scopesSupported: ["openid", "profile", "read", "write"],
      resourceMetadata: { resource: env.BASE_URL + "/api", authorization_servers: [env.BASE_URL] },
    });
  }
  return provider;
}

export default {
  fetch(request, env, ctx) {
    return oauth(env).fetch(request, env, ctx);
  },
};

const noStore = { "Cache-Control": "no-store" };

function hello(request, env, ctx) {
  return Response.json(
    { message: "hello", subject: ctx.props.userId, client_id: ctx.auth.clientId },
    { headers: noStore },
  );
}

async function app(request, env) {
  const url = new URL(request.url);
  if (url.pathname === "/authorize" && request.method === "GET") return authorize(request, env);
  if (url.pathname.startsWith("/bench/") && request.method === "POST") return setup(request, env, url);
  return new Response("not found\n", { status: 404 });
}

async function authorize(request, env) {
  let req;
  try {
    req = await env.OAUTH_PROVIDER.parseAuthRequest(request);
  } catch (err) {
    if (err instanceof AuthorizationError) return new Response(`${err.code}: ${err.description}\n`, { status: 400 });
    throw err;
  }
  const user = await signedInUser(request, env);
  if (!user) return new Response("not signed in (this fixture has no sign-in page)\n", { status: 401, headers: noStore });
  // revokeExistingGrants: false. edgeauth keeps a user's earlier grants
  // when the user authorizes the client again, so the peer is asked to do
  // the same work; its default would also list the user's grants in KV and
  // revoke the earlier ones.
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
    request: req,
    userId: user,
    metadata: {},
    scope: req.scope,
    props: { userId: user },
    revokeExistingGrants: false,
  });
  return new Response(null, { status: 302, headers: { Location: redirectTo, ...noStore } });
}

async function sha256Hex(s) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function signedInUser(request, env) {
  const m = /(?:^|;\s*)sid=([A-Za-z0-9_-]{43})(?:;|$)/.exec(request.headers.get("Cookie") ?? "");
  if (!m) return "";
  const s = await env.OAUTH_KV.get("session:" + (await sha256Hex(m[1])), { type: "json" });
  return s?.user ?? "";
}

async function setup(request, env, url) {
  const token = env.ADMIN_TOKEN ?? "";
  if (token.length < 32 || request.headers.get("Authorization") !== `Bearer ${token}`) {
    return new Response("unauthorized\n", { status: 401 });
  }
  if (url.pathname === "/bench/client") {
    const c = await env.OAUTH_PROVIDER.createClient({
      clientName: "bench",
      redirectUris: JSON.parse(url.searchParams.get("redirect_uris") ?? "[]"),
      tokenEndpointAuthMethod: "none",
      grantTypes: ["authorization_code", "refresh_token"],
    });
    return Response.json({ client_id: c.clientId }, { status: 201, headers: noStore });
  }
  if (url.pathname === "/bench/signin") {
    const user = url.searchParams.get("user") ?? "";
    if (!/^[a-z0-9-]{1,64}$/.test(user)) return new Response("bad user\n", { status: 400 });
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const sid = btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    await env.OAUTH_KV.put("session:" + (await sha256Hex(sid)), JSON.stringify({ user }), { expirationTtl: 86400 });
    return new Response(null, {
      status: 204,
      headers: { "Set-Cookie": `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`, ...noStore },
    });
  }
  return new Response("not found\n", { status: 404 });
}
