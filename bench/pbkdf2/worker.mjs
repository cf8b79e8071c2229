// The password-hash floor of `make bench`: a trivial Worker that derives
// one PBKDF2-HMAC-SHA512 hash of 100,000 iterations with WebCrypto per
// request (a 16-byte salt, 32 bytes out), the work of edgeauth's password
// check at sign-in (password/password.go), and nothing else. Its ops/s is
// what any Worker that checks one such password per request can reach on
// this machine.
const enc = new TextEncoder();
const password = enc.encode("correct horse battery staple");

export default {
  async fetch() {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-512", salt, iterations: 100000 }, key, 256);
    return new Response(JSON.stringify({ bytes: bits.byteLength }) + "\n", {
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    });
  },
};
