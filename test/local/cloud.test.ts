/**
 * The local cloud is catalog-driven and free of Pulumi: a second catalog (the hello fixture)
 * runs on every platform's local runtime, and starting it loads no `@pulumi/*` package.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../components/bundle";
import { platforms } from "../../components/catalog";
import { helloAnswer } from "../fixtures/hello/catalog";

describe("local cloud: any catalog, no Pulumi", function () {
  this.timeout(180_000);
  let report: {
    answers: Record<string, { status: number; body: unknown; url: string }>;
    unavailable: { platform: string; reason: string }[];
    pulumiModules: string[];
    nativeSettings: Record<string, Record<string, Record<string, unknown>>>;
  };

  before(async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "probe-hello-cloud.ts")], {
      cwd: projectRoot,
      timeout: 110_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, LOG_LEVEL: "error" },
    });
    report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as typeof report;
  });

  it("starts the one portable hello handler on every platform and each answers the same", () => {
    if (report.unavailable.length > 0 && process.env.CI !== "true") {
      console.warn(`\n  !!! not available locally: ${report.unavailable.map((u) => `${u.platform} (${u.reason})`).join("; ")}\n`);
    } else {
      assert.deepEqual(report.unavailable, [], "every platform starts under CI");
    }
    const started = platforms.filter((p) => !report.unavailable.some((u) => u.platform === p));
    assert.deepEqual(Object.keys(report.answers).sort(), [...started].sort());
    for (const [platform, answer] of Object.entries(report.answers)) {
      assert.match(answer.url, /^http:\/\/127\.0\.0\.1:\d+$/, `${platform} on loopback`);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: 200, body: helloAnswer("/greet") }, platform);
    }
  });

  it("decides each platform's native settings with the deploy's rules, for the hello function only", () => {
    for (const [platform, settings] of Object.entries(report.nativeSettings)) assert.deepEqual(Object.keys(settings), ["hello"], platform);
  });

  it("loads no @pulumi/* package", () => {
    assert.deepEqual(report.pulumiModules, []);
  });
});
