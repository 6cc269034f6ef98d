/**
 * The bundle cache key holds every build input (issue 30: a build input that did not reach the
 * key let two different builds share one cached output). Each input is changed alone: the key
 * changes (components/bundle.ts bundleInputs, pure), and bundling gives a new output, in a new
 * folder with its own content (bundleFunction, esbuild on the small `hello` fixture). The same
 * inputs spelled another way give the same key and the same bundle.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFunction, bundleInputs, packageFunction, type BundleInput, type BundleOptions } from "../../components/bundle";
import type { Platform } from "../../components/catalog";
import { helloDefinition } from "../fixtures/hello/catalog";

const fixtureDir = path.dirname(helloDefinition.entry as string);
const hello: BundleInput = { name: "hello", entry: "hello.ts", trigger: { kind: "http" } };

describe("bundle cache: every build input reaches the key", () => {
  let outDir: string;
  before(() => void (outDir = fs.mkdtempSync(path.join(os.tmpdir(), "parity-bundle-key-"))));
  after(() => fs.rmSync(outDir, { recursive: true, force: true }));

  /** The baseline and one variant per input, each differing from the baseline in that input alone. */
  const variants = (): Array<[string, BundleInput, Platform, BundleOptions]> => {
    const base: BundleOptions = { root: fixtureDir, outDir };
    return [
      ["baseline", hello, "gcp", base],
      ["platform", hello, "azure", base],
      ["function name", { ...hello, name: "hello-two" }, "gcp", base],
      ["trigger kind", { ...hello, trigger: { kind: "queue" } }, "gcp", base],
      ["no trigger (a native entry)", { name: "hello", entry: "hello.ts" }, "gcp", base],
      ["handler file", { ...hello, entry: "hello-copy.ts" }, "gcp", base],
      ["root (the same relative entry elsewhere)", hello, "gcp", { ...base, root: path.join(outDir, "elsewhere") }],
      ["output folder", hello, "gcp", { ...base, outDir: path.join(outDir, "other-out") }],
      ["esbuild override", hello, "gcp", { ...base, esbuild: { minify: false } }],
      ["another esbuild override", hello, "gcp", { ...base, esbuild: { banner: { js: "// variant b" } } }],
    ];
  };

  it("the key differs from the baseline's whenever one input does (pure)", () => {
    const keys = variants().map(([what, fn, platform, options]) => [what, bundleInputs(fn, platform, options).key] as const);
    const [, baseline] = keys[0];
    for (const [what, key] of keys.slice(1)) assert.notEqual(key, baseline, what);
    assert.equal(new Set(keys.map(([, key]) => key)).size, keys.length, "every variant has its own key");
  });

  it("the same inputs spelled differently share one key; separators inside a name cannot make two inputs collide", () => {
    const spelled = bundleInputs(hello, "gcp", { root: path.join(fixtureDir, "..", path.basename(fixtureDir)), outDir: path.join(outDir, ".") });
    assert.equal(spelled.key, bundleInputs(hello, "gcp", { root: fixtureDir, outDir }).key);
    assert.equal(bundleInputs({ ...hello, entry: path.join(fixtureDir, "hello.ts") }, "gcp", { root: "/somewhere/else", outDir }).key, bundleInputs(hello, "gcp", { root: fixtureDir, outDir }).key, "an absolute entry ignores the root");
    // With a ':'-joined key these two were one string.
    const a = bundleInputs({ name: "a:http", entry: "/x/h.ts", trigger: { kind: "http" } }, "gcp", { outDir: "/o" });
    const b = bundleInputs({ name: "a", entry: "/x/h.ts", trigger: { kind: "http" } }, "gcp", { outDir: "/o" });
    assert.notEqual(a.key, b.key);
  });

  it("each input changed alone builds a new bundle: its own folder and its own content", function () {
    this.timeout(120_000);
    // A second handler file with the same code under another name, and the same relative entry under another root.
    fs.copyFileSync(path.join(fixtureDir, "hello.ts"), path.join(fixtureDir, "hello-copy.ts"));
    fs.mkdirSync(path.join(outDir, "elsewhere"), { recursive: true });
    fs.copyFileSync(path.join(fixtureDir, "hello.ts"), path.join(outDir, "elsewhere", "hello.ts"));
    try {
      const bundles = variants().map(([what, fn, platform, options]) => [what, bundleFunction(fn, platform, options)] as const);
      const [, baseline] = bundles[0];
      const baselineCode = fs.readFileSync(baseline.file, "utf8");
      for (const [what, bundle] of bundles.slice(1)) {
        assert.notEqual(bundle, baseline, `${what}: not the cached baseline`);
        assert.notEqual(bundle.dir, baseline.dir, `${what}: a folder of its own`);
      }
      // Where the input is in the code (not only in where it is written), the code differs too.
      const code = Object.fromEntries(bundles.map(([what, bundle]) => [what, fs.readFileSync(bundle.file, "utf8")]));
      for (const what of ["platform", "function name", "trigger kind", "no trigger (a native entry)", "esbuild override", "another esbuild override"]) {
        assert.notEqual(code[what], baselineCode, `${what}: other code`);
      }
      // The same inputs again: the cached bundle itself.
      const [, fn, platform, options] = variants()[0];
      assert.equal(bundleFunction(fn, platform, options), baseline);
    } finally {
      fs.rmSync(path.join(fixtureDir, "hello-copy.ts"), { force: true });
    }
  });

  it("a package's hash changes with the bundle and with each extra file, and only then", function () {
    this.timeout(60_000);
    const bundle = bundleFunction(hello, "gcp", { root: fixtureDir, outDir });
    const other = bundleFunction(hello, "gcp", { root: fixtureDir, outDir, esbuild: { minify: false } });
    const hash = (b = bundle, extra: Record<string, string> = { "package.json": "{}" }) => packageFunction(b, extra).hash;
    assert.equal(hash(), hash(), "deterministic");
    assert.notEqual(hash(other), hash());
    assert.notEqual(hash(bundle, { "package.json": '{"a":1}' }), hash());
    assert.notEqual(hash(bundle, { "package.json": "{}", "host.json": "{}" }), hash());
    assert.notEqual(hash(bundle, { "package2.json": "{}" }), hash(), "a file's name counts, not only its content");
  });

  it("a package is remembered on disk: another process reuses the zip, rebuilds a tampered or missing one, and a fresh build gives the same hash", function () {
    this.timeout(120_000);
    const bundle = bundleFunction(hello, "gcp", { root: fixtureDir, outDir });
    const extra = { "package.json": '{"remembered":true}' };
    const first = packageFunction(bundle, extra);
    // What another process (another mocha worker, `npm run plan`, a later run) packages.
    const packageElsewhere = (): { hash: string; zipFile: string; mtimeMs: number } => {
      const script = `const b = require(${JSON.stringify(path.resolve(__dirname, "../../components/bundle.ts"))});
        const p = b.packageFunction(${JSON.stringify(bundle)}, ${JSON.stringify(extra)});
        process.stdout.write(JSON.stringify({ hash: p.hash, zipFile: p.zipFile, mtimeMs: require("node:fs").statSync(p.zipFile).mtimeMs }));`;
      return JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { encoding: "utf8" }));
    };
    const zipMtime = fs.statSync(first.zipFile).mtimeMs;
    const reused = packageElsewhere();
    assert.deepEqual(reused, { hash: first.hash, zipFile: first.zipFile, mtimeMs: zipMtime }, "the same zip, not written again");

    // A zip whose content no longer has its recorded hash is not trusted: it is built again.
    fs.writeFileSync(first.zipFile, "not the zip");
    const rebuilt = packageElsewhere();
    assert.equal(rebuilt.hash, first.hash);
    assert.equal(fs.readFileSync(first.zipFile).length > "not the zip".length, true, "the zip was written again");

    // With no record at all (a clean checkout), compressing again gives the same bytes.
    fs.rmSync(`${bundle.dir}.packages`, { recursive: true, force: true });
    fs.rmSync(first.zipFile);
    assert.equal(packageElsewhere().hash, first.hash, "deterministic across processes");
  });
});
