/** The shared conformance suite against the Azure driver bundles on Azurite. */
import { describeConformance } from "../../conformance/suite";
import { azuriteScript } from "../../local/emulators/azurite";
import { startAzureTarget } from "./target";

if (azuriteScript()) {
  describeConformance("azure", startAzureTarget);
} else if (process.env.CI === "true") {
  throw new Error("azurite is not installed; the Azure conformance suite cannot run under CI=true");
} else {
  describe("conformance: azure", () => {
    it.skip("SKIPPED: azurite is not installed (npm install); the Azure conformance suite did not run", () => undefined);
  });
  console.warn("\n*** Azure conformance SKIPPED: azurite is not installed ***\n");
}
