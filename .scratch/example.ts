import { describeFailure, runFuzz } from "../reliability/fuzz";
import { createReference } from "../reliability/reference";
(async () => {
  const core = createReference("subject-key-0123456789");
  const r = await runFuzz([{ platform: "faulty", apiKey: "subject-key-0123456789", send: async (q) => (q.body?.includes("\\u0000") ? { status: 500, contentType: "application/json", text: '{"error":{"code":"internal_error","message":"m"}}' } : core(q)) }], { seed: 11, runs: 500 });
  console.log(describeFailure(r.failure!));
})();
