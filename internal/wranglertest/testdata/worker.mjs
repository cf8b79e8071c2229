// Answers GET /probe with the GREETING var and the row the migration wrote.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/probe") {
      return new Response("not found", { status: 404 });
    }
    const row = await env.DB.prepare("SELECT v FROM probe WHERE k = ?").bind("migrated").first();
    return Response.json({ greeting: env.GREETING ?? null, migrated: row ? row.v : null });
  },
};
