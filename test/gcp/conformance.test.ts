/**
 * The shared conformance suite, then the GCP driver's own cases (push envelope contract,
 * dead-lettering by the local launcher, Firestore ids), against the real bundles on the
 * Functions Framework backed by Google's Firestore and Pub/Sub emulators.
 */
import { gcloudEmulatorsMissing } from "../../local/emulators/gcloud";
import { describeConformance } from "../../conformance/suite";
import { describeGcpDriver } from "./driver";
import { sharedGcpTarget } from "./target";

const missing = gcloudEmulatorsMissing();
if (!missing) {
  const shared = sharedGcpTarget(2);
  describeConformance("gcp", () => shared.acquire());
  describeGcpDriver(() => shared.acquire());
} else if (process.env.CI === "true") {
  throw new Error(`${missing}; the GCP conformance suite cannot run under CI=true`);
} else {
  describe("conformance: gcp", () => {
    it.skip(`SKIPPED: ${missing}; the GCP conformance and driver suites did not run`, () => undefined);
  });
  console.warn(`\n*** GCP conformance and driver tests SKIPPED: ${missing} ***\n`);
}
