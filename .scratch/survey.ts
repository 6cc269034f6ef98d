import fc from "fast-check";
import { startLocalCloudProcess } from "../local/cloud-process";
import { fuzzRequest, materialize } from "../reliability/generators";
import { createReference } from "../reliability/reference";
import { httpSubject } from "../reliability/fuzz";
import { outcome, violations, explainedBy } from "../reliability/invariants";
(async () => {
  const t0 = Date.now();
  const cloud = await startLocalCloudProcess({ stack: "dev", log: (l) => console.error(l) });
  console.error("up in", Date.now() - t0, cloud.unavailable);
  try {
    const subjects = cloud.running.map((p) => httpSubject(p.platform, p.url!, cloud.apiKey));
    const ref = createReference("refkey-0123456789abcdef");
    const samples = fc.sample(fuzzRequest, { numRuns: Number(process.argv[2] ?? 400), seed: Number(process.argv[3] ?? 42) });
    const groups = new Map<string, { n: number; ex: unknown }>();
    let i = 0; const t1 = Date.now();
    for (const g of samples) {
      const tok = `s${Date.now().toString(36)}${i++}`;
      const er = materialize(g, "refkey-0123456789abcdef", tok);
      const exp = await ref(er);
      const answers = await Promise.all(subjects.map((s) => s.send(materialize(g, s.apiKey, tok))));
      const vr = violations(er, exp);
      if (vr.length) { const k = `ref ${vr.join(";")}`; const e = groups.get(k) ?? { n: 0, ex: g }; e.n++; groups.set(k, e); }
      subjects.forEach((s, j) => {
        const o = answers[j];
        const req = materialize(g, s.apiKey, tok);
        const dev = outcome(o) !== outcome(exp) ? explainedBy(s.platform, req, o, exp) : undefined;
        const vs = dev ? [] : violations(req, o);
        const mm = !dev && outcome(o) !== outcome(exp) ? `got ${outcome(o)} want ${outcome(exp)}` : "";
        if (vs.length || mm) { const k = `${s.platform} ${mm} ${vs.join(";")}`; const e = groups.get(k) ?? { n: 0, ex: { g, text: o.text.slice(0, 200) } }; e.n++; groups.set(k, e); }
      });
    }
    console.log("requests", samples.length, "in", Date.now() - t1, "ms");
    for (const [k, v] of groups) console.log(v.n, k, "\n    ", JSON.stringify(v.ex).slice(0, 400));
  } finally { await cloud.stop(); }
})();
