// The D1 floor of `make bench`: a trivial Worker that runs the four D1
// statements of edgeauth's refresh-token rotation (read the family, read
// the user, one compare-and-set update, one audit insert) and nothing else.
// Its req/s is what any Worker that needs those statements can reach on
// this machine's local D1, whatever its language.
export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id") ?? "0";
    const db = env.DB;
    const fam = await db.prepare("SELECT id, gen FROM fam WHERE id = ?").bind(id).first();
    if (fam === null) return new Response("no such family\n", { status: 404 });
    await db.prepare("SELECT id, roles FROM usr WHERE id = ?").bind("u").first();
    const r = await db.prepare("UPDATE fam SET gen = gen + 1 WHERE id = ? AND gen = ?").bind(id, fam.gen).run();
    await db.prepare("INSERT INTO audit (id, at) VALUES (?, ?)").bind(crypto.randomUUID(), Date.now()).run();
    return new Response(JSON.stringify({ rotated: r.meta.changes }) + "\n", { headers: { "Content-Type": "application/json" } });
  },
};
