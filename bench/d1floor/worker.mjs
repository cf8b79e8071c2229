// The D1 floor of `make bench`: a trivial Worker that runs the three D1
// statements of edgeauth's refresh-token rotation (read the family with its
// user, one compare-and-set update, one audit insert) and nothing else.
// Its req/s is what any Worker that needs those statements can reach on
// this machine's local D1, whatever its language.
export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id") ?? "0";
    const db = env.DB;
    const fam = await db
      .prepare("SELECT f.id, f.gen, u.roles FROM fam f LEFT JOIN usr u ON u.id = f.user_id WHERE f.id = ?")
      .bind(id)
      .first();
    if (fam === null) return new Response("no such family\n", { status: 404 });
    const r = await db.prepare("UPDATE fam SET gen = gen + 1 WHERE id = ? AND gen = ?").bind(id, fam.gen).run();
    await db.prepare("INSERT INTO audit (id, at) VALUES (?, ?)").bind(crypto.randomUUID(), Date.now()).run();
    return new Response(JSON.stringify({ rotated: r.meta.changes }) + "\n", { headers: { "Content-Type": "application/json" } });
  },
};
