/**
 * packageLockFor against a small installed tree written to a temporary folder: two versions of
 * one package (one nested, as npm places a conflicting version), a scoped package, an optional
 * dependency not installed, and an npm lockfile that recorded the integrity hashes.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageLockFor } from "../../components/lockfile";

describe("packageLockFor: the installed tree of a bundle's dependencies, as a lockfile", () => {
  let project: string;
  const install = (location: string, manifest: Record<string, unknown>) => {
    fs.mkdirSync(path.join(project, location), { recursive: true });
    fs.writeFileSync(path.join(project, location, "package.json"), JSON.stringify(manifest));
  };

  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "parity-lockfile-"));
    install("node_modules/framework", { name: "framework", version: "5.0.5", dependencies: { parser: "^2.0.0", "@scope/types": "^1.0.0" }, optionalDependencies: { "native-speedup": "^1.0.0" } });
    install("node_modules/parser", { name: "parser", version: "2.4.0", dependencies: { bytes: "^3.0.0", debug: "^4.0.0" } });
    install("node_modules/@scope/types", { name: "@scope/types", version: "1.2.3", peerDependencies: { parser: "*" } });
    install("node_modules/debug", { name: "debug", version: "4.4.1", dependencies: { ms: "^2.1.3" } });
    install("node_modules/ms", { name: "ms", version: "2.1.3" });
    // The project itself uses bytes 1; the parser's bytes 3 is nested under it.
    install("node_modules/bytes", { name: "bytes", version: "1.0.0" });
    install("node_modules/parser/node_modules/bytes", { name: "bytes", version: "3.1.2" });
    // Unrelated to the framework: never in its lockfile.
    install("node_modules/unrelated", { name: "unrelated", version: "9.9.9" });
    fs.writeFileSync(
      path.join(project, "package-lock.json"),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          "node_modules/parser": { version: "2.4.0", integrity: "sha512-parser", resolved: "https://registry.npmjs.org/parser/-/parser-2.4.0.tgz", dev: true },
          "node_modules/parser/node_modules/bytes": { version: "3.1.2", integrity: "sha512-bytes3" },
          // Stale: another version than the one installed, so its hash must not be used.
          "node_modules/debug": { version: "4.3.0", integrity: "sha512-stale" },
        },
      }),
    );
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  it("holds exactly the closure, each version as installed, the conflicting one nested where Node finds it", () => {
    const lock = packageLockFor("parity-x", { framework: "5.0.5" }, project);
    assert.deepEqual(lock.packages[""], { name: "parity-x", dependencies: { framework: "5.0.5" } });
    const versions = Object.fromEntries(Object.entries(lock.packages).map(([location, entry]) => [location, entry.version]));
    assert.deepEqual(versions, {
      "": undefined,
      "node_modules/@scope/types": "1.2.3",
      "node_modules/bytes": "3.1.2",
      "node_modules/debug": "4.4.1",
      "node_modules/framework": "5.0.5",
      "node_modules/ms": "2.1.3",
      "node_modules/parser": "2.4.0",
    });
  });

  it("nests a second version under the package that needs it when the top place is taken", () => {
    // Here the bundle needs bytes 1 itself, so the parser's bytes 3 cannot be at the top.
    const lock = packageLockFor("parity-x", { framework: "5.0.5", bytes: "1.0.0" }, project);
    assert.equal(lock.packages["node_modules/bytes"].version, "1.0.0");
    assert.equal(lock.packages["node_modules/parser/node_modules/bytes"].version, "3.1.2");
  });

  it("takes resolved and integrity from the npm lockfile only for the same version, and drops its dev flag", () => {
    const lock = packageLockFor("parity-x", { framework: "5.0.5" }, project);
    assert.equal(lock.packages["node_modules/parser"].integrity, "sha512-parser");
    assert.equal(lock.packages["node_modules/parser"].resolved, "https://registry.npmjs.org/parser/-/parser-2.4.0.tgz");
    assert.equal((lock.packages["node_modules/parser"] as { dev?: boolean }).dev, undefined);
    assert.equal(lock.packages["node_modules/bytes"].integrity, "sha512-bytes3", "found by the folder it is installed in, not where the lockfile puts it");
    assert.equal(lock.packages["node_modules/debug"].integrity, undefined, "a stale entry's hash would fail npm ci");
  });

  it("refuses a pin that is not the installed version, and a required package that is not installed", () => {
    assert.throws(() => packageLockFor("parity-x", { framework: "5.0.6" }, project), /pins 5\.0\.6 but 5\.0\.5 is installed/);
    assert.throws(() => packageLockFor("parity-x", { absent: "1.0.0" }, project), /absent is not installed/);
    install("node_modules/broken", { name: "broken", version: "1.0.0", dependencies: { missing: "^1.0.0" } });
    assert.throws(() => packageLockFor("parity-x", { broken: "1.0.0" }, project), /broken@1\.0\.0 needs missing/);
  });
});
