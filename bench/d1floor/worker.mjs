// The D1 floor of `make bench`: a trivial Worker that makes the D1 round
// trip of edgeauth's refresh-token rotation and nothing else: one batch
// holding the compare-and-set update (it stamps the family with this
// call's rotation id), the audit insert that happens only if the update
// did, and the read of the family joined with its user, on the same
// condition. Its req/s is what any Worker that needs that round trip can
// reach on this machine's local D1, whatever its language.
export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id") ?? "0";
    const db = env.DB;
    const rot = crypto.randomUUID();
    const [r, , read] = await db.batch([
      db.prepare("UPDATE fam SET gen = gen + 1, rot = ? WHERE id = ?").bind(rot, id),
      db
        .prepare("INSERT INTO audit (id, at) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM fam WHERE id = ? AND rot = ?)")
        .bind(crypto.randomUUID(), Date.now(), id, rot),
      db.prepare("SELECT f.id, f.gen, u.roles FROM fam f LEFT JOIN usr u ON u.id = f.user_id WHERE f.id = ? AND f.rot = ?").bind(id, rot),
    ]);
    if (r.meta.changes !== 1 || read.results.length !== 1) return new Response("no such family\n", { status: 404 });
    return new Response(JSON.stringify({ rotated: r.meta.changes, gen: read.results[0].gen }) + "\n", {
      headers: { "Content-Type": "application/json" },
    });
  },
};
