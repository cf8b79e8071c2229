// A trivial JavaScript Worker: the yardstick of the pool's A/B benchmark.
export default {
  async fetch() {
    return new Response('{"status":"ok"}\n', { headers: { "Content-Type": "application/json" } });
  },
};
