/** What ships to Lambda: one self-contained ES module per function, SDK included (see docs/how-it-works.md, Bundles). */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { bundleFunction } from "../../components/bundle";
import { catalog } from "../../components/catalog";

const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

describe("aws: bundles", () => {
  for (const fn of catalog) {
    it(`${fn.name}: index.mjs imports nothing but Node built-ins and stays small`, () => {
      const bundle = bundleFunction(fn, "aws");
      assert.equal(bundle.fileName, "index.mjs");
      const output = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint);
      assert.ok(output, "esbuild reports the entry output");
      const external = output.imports.filter((i) => i.external).map((i) => i.path);
      assert.deepEqual(external.filter((p) => !builtins.has(p)), [], "every package is bundled; the runtime's SDK is not relied on");
      assert.ok(Object.keys(bundle.metafile.inputs).some((p) => p.includes("@aws-sdk/client-dynamodb")), "the DynamoDB client is inside");
      assert.deepEqual(output.exports, ["handler"]);
      // Budget, not a limit: Lambda accepts 50 MB zipped (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html);
      // a jump past this means a dependency slipped in and cold starts pay for it.
      assert.ok(bundle.gzipBytes < 200 * 1024, `${fn.name} is ${bundle.gzipBytes} bytes gzipped`);
    });
  }
});
