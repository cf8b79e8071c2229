// harness.mjs: what worker.mjs needs under Node: workerd's
// crypto.subtle.timingSafeEqual, and minimal bindings and context.
crypto.subtle.timingSafeEqual = (a, b) => { a = new Uint8Array(a); b = new Uint8Array(b); return a.length === b.length && a.every((x, i) => x === b[i]); };
export function mkEnv(extra = {}) {
  const kv = new Map();
  const KV = {
    async get(k, o) { const v = kv.get(k); if (v === undefined) return null; if (o?.type === "arrayBuffer") return new TextEncoder().encode(v).buffer; return v; },
    async put(k, v) { kv.set(k, typeof v === "string" ? v : new TextDecoder().decode(v)); },
    async delete(k) { kv.delete(k); },
  };
  const DB = {
    prepare(q) { return { bind() { return this; }, async run() { return { meta: { changes: 0 }, results: [] }; }, async all() { return { results: [], meta: {} }; }, async first() { return null; }, async raw() { return []; } }; },
    async batch(s) { return s.map(() => ({ meta: { changes: 1 } })); },
  };
  return { DB, KV, ADMIN_TOKEN: "x".repeat(40), ...extra };
}
export function mkCtx() {
  const p = [];
  return { waitUntil(x) { p.push(x); }, passThroughOnException() {}, props: {}, pending: p };
}
