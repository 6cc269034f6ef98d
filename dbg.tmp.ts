import { stackGraph } from "./test/policies/graphs";
(async () => {
  const g = await stackGraph({ file: "dev" });
  for (const r of g.filter((r) => /IAMMember|IamMember/.test(r.type)).slice(0, 4)) console.log(r.type, r.name, JSON.stringify(r.inputs).slice(0, 200), r.dependencies.map((d) => d.split("::").pop()));
  const acc = g.find((r) => r.name.endsWith("-users-api") && r.type.includes("account"));
  console.log(acc?.urn, JSON.stringify(acc?.state).slice(0,300));
  process.exit(0);
})();
