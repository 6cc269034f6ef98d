import { describeConformance } from "../../conformance/suite";
import { startCloudflareTarget, workerdOrSkip } from "./target";

if (workerdOrSkip("conformance: cloudflare")) describeConformance("cloudflare", startCloudflareTarget);
else describe.skip("conformance: cloudflare (workerd missing)", () => {});
