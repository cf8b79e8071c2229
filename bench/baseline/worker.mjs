// The baseline of `make bench`: a trivial Worker that answers a small JSON
// document on every path, so the edgeauth figures can be read as a ratio
// to what workerd and the load driver manage on this machine in the same run.
const body = JSON.stringify({ ok: true, issuer: "http://127.0.0.1/t/baseline" }) + "\n";

export default {
  fetch() {
    return new Response(body, { headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
  },
};
