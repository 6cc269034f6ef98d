import { startGcpTarget } from "../test/gcp/target";
import { runChaos } from "../reliability/chaos";
(async () => {
  const t = await startGcpTarget();
  try {
    let s = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await t.request(new Request("http://x/users", { method: "POST", headers: { "x-api-key": t.apiKey, "content-type": "application/json" }, body: JSON.stringify({ email: `t${Date.now()}${i}@ex.com`, name: "A" }) }));
      ids.push(((await r.json()) as { id: string }).id);
    }
    console.log("create", Date.now() - s); s = Date.now();
    const events = [];
    while (events.length < 4) events.push(...(await t.receivePublished({ atLeast: 4 - events.length, timeoutMs: 2000 })));
    console.log("receive", Date.now() - s, events.length); s = Date.now();
    let reads = 0, readMs = 0, delivers = 0, deliverMs = 0;
    const target = { platform: "gcp", deliver: async (b: any) => { const q = Date.now(); const r = await t.deliver(b); delivers++; deliverMs += Date.now() - q; return r; } };
    const r = await runChaos(target, { seed: 13, maxAttempts: 2, events, welcomedAt: async (id) => { const q = Date.now(); const x = ((await (await t.request(new Request(`http://x/users/${id}`, { headers: { "x-api-key": t.apiKey } }))).json()) as any).welcomedAt; reads++; readMs += Date.now() - q; return x; } });
    console.log("chaos", Date.now() - s, { reads, readMs, delivers, deliverMs }, r.problems);
  } finally { await t.close(); }
})();
