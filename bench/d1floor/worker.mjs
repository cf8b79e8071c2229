// The D1 floor of `make bench`: a trivial Worker that makes the D1 round
// trips of edgeauth's refresh-token rotation and nothing else: one read
// (the family joined with its user), then one batch holding the
// compare-and-set update and the audit insert that happens only if the
// update did. Its req/s is what any Worker that needs those round trips can
// reach on this machine's local D1, whatever its language.
export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id") ?? "0";
    const db = env.DB;
    const fam = await db
      .prepare("SELECT f.id, f.gen, u.roles FROM fam f LEFT JOIN usr u ON u.id = f.user_id WHERE f.id = ?")
      .bind(id)
      .first();
    if (fam === null) return new Response("no such family\n", { status: 404 });
    const [r] = await db.batch([
      db.prepare("UPDATE fam SET gen = gen + 1 WHERE id = ? AND gen = ?").bind(id, fam.gen),
      db
        .prepare("INSERT INTO audit (id, at) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM fam WHERE id = ? AND gen = ?)")
        .bind(crypto.randomUUID(), Date.now(), id, fam.gen + 1),
    ]);
    return new Response(JSON.stringify({ rotated: r.meta.changes }) + "\n", { headers: { "Content-Type": "application/json" } });
  },
};
