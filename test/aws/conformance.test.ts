import { describeConformance } from "../../conformance/suite";
import { startAwsTarget } from "./target";
import { dynamoDbLocalUnavailable } from "../../local/emulators/dynamodb-local";

const unavailable = dynamoDbLocalUnavailable();
if (unavailable && process.env.CI === "true") throw new Error(`AWS conformance cannot run under CI: ${unavailable}`);
if (unavailable) {
  describe("conformance: aws", () => {
    it(`SKIPPED: ${unavailable}`, function () {
      console.warn(`\n  !!! SKIPPING AWS conformance: ${unavailable} !!!\n`);
      this.skip();
    });
  });
} else {
  describeConformance("aws", startAwsTarget);
}
