import { startGcpTarget } from "../test/gcp/target";
import { poisonMessages } from "../reliability/chaos";
(async () => {
  const t = await startGcpTarget();
  try {
    for (const m of poisonMessages("x")) {
      const s = Date.now(); const r = await t.deliver([m]); console.log(m.id, Date.now() - s, r);
    }
    const r = await t.request(new Request("http://x/users", { method: "POST", headers: { "x-api-key": t.apiKey, "content-type": "application/json" }, body: JSON.stringify({ email: `t${Date.now()}@ex.com`, name: "A" }) }));
    const u = await r.json() as { id: string };
    const ev = (await t.receivePublished({ atLeast: 1, timeoutMs: 5000 }))[0];
    for (let i = 0; i < 3; i++) { const s = Date.now(); const d = await t.deliver([{ ...ev, id: ev.id + "#" + i }]); console.log("event", Date.now() - s, d, u.id); }
  } finally { await t.close(); }
})();
