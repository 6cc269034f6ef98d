import assert from "node:assert/strict";
import { catalog } from "../components/catalog";
import {
  componentNameFor,
  defaultsFor,
  isPlaceholderAccountId,
  parseStackConfig,
  settingKeysFor,
  settingsFor,
  settingsOf,
  specsFor,
  StackConfigError,
} from "../components/config";
import { stackConfig, stackFileValues, TEST_API_KEY } from "./infra/harness";

const valid = (): Record<string, unknown> => ({ ...stackFileValues("dev"), apiKey: TEST_API_KEY });

/** Parses and returns the error's problems; fails the test if parsing succeeds. */
function problemsOf(raw: Record<string, unknown>, stack = "dev"): string[] {
  try {
    parseStackConfig(raw, stack);
  } catch (error) {
    assert.ok(error instanceof StackConfigError, `expected StackConfigError, got ${error}`);
    assert.match(error.message, new RegExp(`stack "${stack}"`));
    return error.problems;
  }
  assert.fail("config was accepted");
}

describe("stack config", () => {
  it("reads Pulumi.dev.yaml and Pulumi.prod.yaml with their different values", () => {
    const dev = stackConfig("dev");
    const prod = stackConfig("prod");
    assert.deepEqual(dev.platforms, ["aws", "gcp", "azure", "cloudflare"]);
    assert.deepEqual(dev.functions["users-api"], { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 10, warmInstances: 0 });
    assert.equal(dev.protectData, false);
    assert.equal(prod.protectData, true);
    assert.ok(prod.functions["users-api"].memoryMb > dev.functions["users-api"].memoryMb);
    assert.ok(prod.functions["users-api"].reservedConcurrency > dev.functions["users-api"].reservedConcurrency);
    assert.ok(prod.functions["users-api"].warmInstances > 0);
    assert.ok(prod.logRetentionDays > dev.logRetentionDays);
  });

  it("applies defaults for every catalog function when parity:functions is absent", () => {
    const config = parseStackConfig({ platforms: ["aws"], apiKey: TEST_API_KEY }, "dev");
    for (const fn of catalog) assert.ok(config.functions[fn.name], fn.name);
    assert.deepEqual(config.functions["queue-worker"], {
      memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5,
    });
    assert.equal(config.logRetentionDays, 7);
    assert.equal(config.protectData, false);
  });

  it("rejects a misspelt setting, naming key, stack and allowed keys", () => {
    const raw = valid();
    raw.functions = { "users-api": { reservedConcurency: 10 } };
    const [problem, ...rest] = problemsOf(raw, "prod");
    assert.equal(rest.length, 0);
    assert.match(problem, /parity:functions\.users-api\.reservedConcurency: unknown setting/);
    assert.match(problem, /allowed: memoryMb, timeoutSeconds, reservedConcurrency, warmInstances/);
  });

  it("rejects queue-only settings on an HTTP function", () => {
    const raw = valid();
    raw.functions = { "users-api": { batchSize: 5 } };
    assert.match(problemsOf(raw).join("\n"), /parity:functions\.users-api\.batchSize: unknown setting for users-api/);
  });

  it("rejects unknown platforms, functions and top-level keys, listing allowed values", () => {
    const problems = problemsOf({ ...valid(), platforms: ["aws", "heroku"], functions: { "image-resizer": {} }, protectdata: true });
    const text = problems.join("\n");
    assert.match(text, /parity:platforms: unknown platform "heroku"; allowed values: aws, gcp, azure, cloudflare/);
    assert.match(text, /parity:functions\.image-resizer: unknown function; allowed: users-api, queue-worker/);
    assert.match(text, /parity:protectdata: unknown key; allowed keys: .*protectData/);
  });

  it("rejects out-of-range and non-integer values with the allowed range", () => {
    const raw = valid();
    raw.functions = { "users-api": { memoryMb: 64 }, "queue-worker": { batchSize: 0, maxAttempts: 2.5 } };
    raw.logRetentionDays = 5000;
    const text = problemsOf(raw).join("\n");
    assert.match(text, /parity:functions\.users-api\.memoryMb: 64 is not allowed; allowed: an integer from 128 to 10240/);
    assert.match(text, /parity:functions\.queue-worker\.batchSize: 0 is not allowed; allowed: an integer from 1 to 100/);
    assert.match(text, /parity:functions\.queue-worker\.maxAttempts: 2.5 is not allowed/);
    assert.match(text, /parity:logRetentionDays: 5000 is not allowed; allowed: an integer from 1 to 3653/);
  });

  it("rejects more warm instances than reserved concurrency", () => {
    const raw = valid();
    raw.functions = { "users-api": { reservedConcurrency: 2, warmInstances: 3 } };
    assert.match(problemsOf(raw).join("\n"), /parity:functions\.users-api\.warmInstances: 3 exceeds reservedConcurrency 2; allowed: 0 to 2/);
  });

  it("requires the API key as a secret", () => {
    const { apiKey: _omitted, ...raw } = valid();
    assert.match(problemsOf(raw).join("\n"), /parity:apiKey: is required; set it as a secret: pulumi config set --secret parity:apiKey <value> --stack dev/);
    assert.doesNotThrow(() => parseStackConfig({ platforms: ["aws"], apiKey: TEST_API_KEY }, "dev"));
  });

  it("ships no Cloudflare account id: a deploy requires one, offline uses do not", () => {
    assert.equal(stackFileValues("dev").cloudflareAccountId, undefined);
    assert.equal(stackFileValues("prod").cloudflareAccountId, undefined);
    assert.equal(stackConfig("dev").cloudflareAccountId, undefined, "tests, npm start, plan and compare read the files as they are");
    const forDeploy = (raw: Record<string, unknown>) => {
      try {
        parseStackConfig(raw, "prod", { forDeploy: true });
      } catch (error) {
        return (error as StackConfigError).problems.join("\n");
      }
      return "";
    };
    assert.match(forDeploy(valid()), /parity:cloudflareAccountId: is required to deploy cloudflare .*pulumi config set parity:cloudflareAccountId <32 hex> --stack prod/);
    assert.equal(forDeploy({ ...valid(), platforms: ["aws"] }), "", "not needed without cloudflare");
    assert.equal(forDeploy({ ...valid(), cloudflareAccountId: "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c" }), "");
  });

  it("refuses account ids that are placeholders or not 32 lower-case hex characters, deploy or not", () => {
    for (const placeholder of ["0123456789abcdef0123456789abcdef", "0".repeat(32), "f".repeat(32)]) {
      assert.match(problemsOf({ ...valid(), cloudflareAccountId: placeholder }).join("\n"), /is a placeholder, not an account id; set the real one: pulumi config set/);
    }
    for (const malformed of ["9F2C4E1A7B3D5F6E8A0C2E4F6B8D0A1C", "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1", 42]) {
      assert.match(problemsOf({ ...valid(), cloudflareAccountId: malformed }).join("\n"), /must be a Cloudflare account id \(32 lower-case hex characters\)/);
    }
  });

  it("applies per-platform overrides to that platform only, and validates them", () => {
    const config = parseStackConfig({ ...valid(), overrides: { aws: { "users-api": { memoryMb: 1024 } } } }, "dev");
    assert.equal(settingsFor(config, "aws", "users-api").memoryMb, 1024);
    assert.equal(settingsFor(config, "gcp", "users-api").memoryMb, 256);
    assert.equal(settingsFor(config, "aws", "users-api").timeoutSeconds, 10);

    const text = problemsOf({ ...valid(), overrides: { azure: { "users-api": { warmInstances: 50 } }, vercel: {} } }).join("\n");
    assert.match(text, /parity:overrides\.azure\.users-api\.warmInstances: 50 exceeds reservedConcurrency 10/);
    assert.match(text, /parity:overrides\.vercel: unknown platform; allowed values: aws, gcp, azure, cloudflare/);
  });

  it("refuses an override naming an unknown function (a typo would silently tune nothing), naming key, stack and allowed values", () => {
    assert.deepEqual(problemsOf({ ...valid(), overrides: { aws: { "user-api": { memoryMb: 1024 } } } }, "prod-eu"), [
      "parity:overrides.aws.user-api: unknown function; allowed: users-api, queue-worker, reconciler",
    ]);
    assert.deepEqual(problemsOf({ ...valid(), overrides: { gcp: ["users-api"] } }), ["parity:overrides.gcp: must be a map keyed by function name (users-api, queue-worker, reconciler)"]);
    assert.deepEqual(problemsOf({ ...valid(), overrides: "aws" }), ["parity:overrides: must be a map: <platform>: { <function>: { <setting>: value } }"]);
  });

  it("schedules the reconciler every 5 minutes by default; a stack may set any clock-aligned interval, nothing else", () => {
    const defaults = parseStackConfig({ platforms: ["aws"], apiKey: TEST_API_KEY }, "dev");
    assert.deepEqual(defaults.functions.reconciler, { memoryMb: 256, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 5 });
    assert.equal(stackConfig("prod").functions.reconciler.everyMinutes, 10);
    for (const ok of [1, 30, 60, 120, 1440]) {
      assert.equal(parseStackConfig({ ...valid(), functions: { reconciler: { everyMinutes: ok } } }, "dev").functions.reconciler.everyMinutes, ok);
    }
    for (const bad of [7, 45, 90, 0, 1441, 2880, "5"]) {
      assert.match(
        problemsOf({ ...valid(), functions: { reconciler: { everyMinutes: bad } } }).join("\n"),
        /parity:functions\.reconciler\.everyMinutes: .* is not allowed; allowed: minutes that divide an hour or whole hours that divide a day: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440/,
        String(bad),
      );
    }
    assert.match(problemsOf({ ...valid(), functions: { reconciler: { warmInstances: 1 } } }).join("\n"), /parity:functions\.reconciler\.warmInstances: unknown setting for reconciler; allowed: memoryMb, timeoutSeconds, reservedConcurrency, everyMinutes/);
    assert.match(problemsOf({ ...valid(), functions: { "users-api": { everyMinutes: 5 } } }).join("\n"), /users-api\.everyMinutes: unknown setting/);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({ platforms: [], protectData: "yes", apiKey: "short" });
    assert.equal(problems.length, 3);
  });

  it("fails as a StackConfigError naming the stack, nothing created, one problem per line", () => {
    let caught: unknown;
    try {
      parseStackConfig({ ...valid(), logRetentionDays: 0, protectData: "yes" }, "prod-eu");
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof StackConfigError, `expected StackConfigError, got ${caught}`);
    assert.equal(caught.name, "StackConfigError");
    assert.equal(caught.stack, "prod-eu");
    assert.equal(
      caught.message,
      'Invalid stack config for stack "prod-eu" (nothing was created):\n' +
        "  - parity:logRetentionDays: 0 is not allowed; allowed: an integer from 1 to 3653\n" +
        "  - parity:protectData: must be true or false",
    );
  });

  it("names every allowed key when a top-level key is unknown", () => {
    assert.deepEqual(problemsOf({ ...valid(), protectdata: true }), [
      "parity:protectdata: unknown key; allowed keys: platforms, functions, overrides, logRetentionDays, protectData, cloudflareAccountId, apiKey",
    ]);
  });

  it("deploys to all four platforms when parity:platforms is absent, each named once, in the stack's order", () => {
    const { platforms: _omitted, ...raw } = valid();
    assert.deepEqual(parseStackConfig(raw, "dev").platforms, ["aws", "gcp", "azure", "cloudflare"]);
    assert.deepEqual(parseStackConfig({ ...raw, platforms: ["gcp", "aws", "gcp"] }, "dev").platforms, ["gcp", "aws"]);
    const notAList = "parity:platforms: must be a non-empty list; allowed values: aws, gcp, azure, cloudflare";
    assert.deepEqual(problemsOf({ ...raw, platforms: [] }), [notAList]);
    assert.deepEqual(problemsOf({ ...raw, platforms: "aws" }), [notAList]);
  });

  it("accepts each setting at its limits and refuses one past them, naming the range", () => {
    const limits: Record<string, [number, number]> = {
      memoryMb: [128, 10240],
      timeoutSeconds: [1, 900],
      reservedConcurrency: [1, 1000],
      warmInstances: [0, 100],
      batchSize: [1, 100],
      maxAttempts: [1, 100],
    };
    // queue-worker takes every one of these; reservedConcurrency 1000 leaves room for 100 warm instances.
    const withSetting = (setting: string, value: unknown) => ({ ...valid(), functions: { "queue-worker": { reservedConcurrency: 1000, [setting]: value } } });
    for (const [setting, [min, max]] of Object.entries(limits)) {
      for (const ok of [min, max]) {
        const decided = parseStackConfig(withSetting(setting, ok), "dev").functions["queue-worker"];
        assert.equal(decided[setting as keyof typeof decided], ok, `${setting} ${ok}`);
      }
      for (const bad of [min - 1, max + 1]) {
        assert.deepEqual(problemsOf(withSetting(setting, bad)), [`parity:functions.queue-worker.${setting}: ${bad} is not allowed; allowed: an integer from ${min} to ${max}`]);
      }
    }
    assert.deepEqual(problemsOf(withSetting("memoryMb", "512")), ['parity:functions.queue-worker.memoryMb: "512" is not allowed; allowed: an integer from 128 to 10240']);
    for (const ok of [1, 3653]) assert.equal(parseStackConfig({ ...valid(), logRetentionDays: ok }, "dev").logRetentionDays, ok);
    for (const bad of [0, 3654]) assert.deepEqual(problemsOf({ ...valid(), logRetentionDays: bad }), [`parity:logRetentionDays: ${bad} is not allowed; allowed: an integer from 1 to 3653`]);
  });

  it("allows as many warm instances as reserved concurrency, not one more", () => {
    const config = parseStackConfig({ ...valid(), functions: { "users-api": { reservedConcurrency: 2, warmInstances: 2 } } }, "dev");
    assert.deepEqual(config.functions["users-api"], { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 2, warmInstances: 2 });
    assert.deepEqual(problemsOf({ ...valid(), functions: { "users-api": { reservedConcurrency: 2, warmInstances: 3 } } }), [
      "parity:functions.users-api.warmInstances: 3 exceeds reservedConcurrency 2; allowed: 0 to 2",
    ]);
  });

  it("checks warm instances against the reserved concurrency in force when the stack's own value is refused", () => {
    assert.deepEqual(problemsOf({ ...valid(), functions: { "users-api": { reservedConcurrency: 0, warmInstances: 20 } } }), [
      "parity:functions.users-api.reservedConcurrency: 0 is not allowed; allowed: an integer from 1 to 1000",
      "parity:functions.users-api.warmInstances: 20 exceeds reservedConcurrency 10; allowed: 0 to 10",
    ]);
  });

  it("refuses parity:functions, or one function's settings, that are not a map, naming what is allowed", () => {
    const notAMap = "parity:functions: must be a map keyed by function name (users-api, queue-worker, reconciler)";
    assert.deepEqual(problemsOf({ ...valid(), functions: "users-api" }), [notAMap]);
    assert.deepEqual(problemsOf({ ...valid(), functions: ["users-api"] }), [notAMap]);
    assert.deepEqual(problemsOf({ ...valid(), functions: { "users-api": 512 } }), [
      "parity:functions.users-api: must be a map of settings; allowed: memoryMb, timeoutSeconds, reservedConcurrency, warmInstances",
    ]);
  });

  it("refuses an everyMinutes outside the clock-aligned list with that one problem", () => {
    for (const bad of [0, 7, 2880, "5"]) {
      assert.deepEqual(problemsOf({ ...valid(), functions: { reconciler: { everyMinutes: bad } } }), [
        `parity:functions.reconciler.everyMinutes: ${JSON.stringify(bad)} is not allowed; allowed: minutes that divide an hour or whole hours that divide a day: ` +
          "1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 (others fire unevenly on cron-based platforms)",
      ]);
    }
  });

  it("keeps only the overridden settings per platform and function, validated after merging", () => {
    const config = parseStackConfig({ ...valid(), overrides: { gcp: { reconciler: { everyMinutes: 60 } }, aws: { "users-api": { memoryMb: 1024, warmInstances: 10 } } } }, "dev");
    assert.deepEqual(config.overrides, { gcp: { reconciler: { everyMinutes: 60 } }, aws: { "users-api": { memoryMb: 1024, warmInstances: 10 } } });
    assert.equal(settingsFor(config, "gcp", "reconciler").everyMinutes, 60);
    assert.equal(settingsFor(config, "aws", "reconciler").everyMinutes, 5);
    assert.deepEqual(settingsFor(config, "azure", "users-api"), config.functions["users-api"]);
  });

  it("refuses overrides that are not maps (a YAML key left empty) with one problem each, naming what is allowed", () => {
    assert.deepEqual(problemsOf({ ...valid(), overrides: { aws: null } }), ["parity:overrides.aws: must be a map keyed by function name (users-api, queue-worker, reconciler)"]);
    assert.deepEqual(problemsOf({ ...valid(), overrides: { aws: { "users-api": null } } }), [
      "parity:overrides.aws.users-api: must be a map of settings; allowed: memoryMb, timeoutSeconds, reservedConcurrency, warmInstances",
    ]);
    assert.deepEqual(problemsOf({ ...valid(), overrides: { aws: { "queue-worker": { batchSize: 0 } } } }), [
      "parity:overrides.aws.queue-worker.batchSize: 0 is not allowed; allowed: an integer from 1 to 100",
    ]);
  });

  it("reports an unknown platform or function in overrides once, without judging what is under it", () => {
    assert.deepEqual(problemsOf({ ...valid(), overrides: { vercel: { "users-api": "fast" } } }), ["parity:overrides.vercel: unknown platform; allowed values: aws, gcp, azure, cloudflare"]);
    assert.deepEqual(problemsOf({ ...valid(), overrides: { aws: { "user-api": { memoryMb: 1 } } } }), ["parity:overrides.aws.user-api: unknown function; allowed: users-api, queue-worker, reconciler"]);
  });

  it("takes an empty Cloudflare account id (Pulumi.yaml's default) as not set", () => {
    assert.equal(parseStackConfig({ ...valid(), cloudflareAccountId: "" }, "dev").cloudflareAccountId, undefined);
    assert.throws(
      () => parseStackConfig({ ...valid(), cloudflareAccountId: "" }, "dev", { forDeploy: true }),
      (error: StackConfigError) => {
        assert.deepEqual(error.problems, [
          "parity:cloudflareAccountId: is required to deploy cloudflare (32 lower-case hex characters); set it: " +
            "pulumi config set parity:cloudflareAccountId <32 hex> --stack dev (Cloudflare dashboard → Workers & Pages → Account ID)",
        ]);
        return true;
      },
    );
    const id = "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c";
    assert.equal(parseStackConfig({ ...valid(), cloudflareAccountId: id }, "dev", { forDeploy: true }).cloudflareAccountId, id);
  });

  it("refuses an account id with anything around its 32 hex characters, or not a string, and names a placeholder exactly", () => {
    const id = "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c";
    for (const malformed of [`${id}0`, `x${id}`, `${id} `, [id]]) {
      assert.deepEqual(problemsOf({ ...valid(), cloudflareAccountId: malformed }), ["parity:cloudflareAccountId: must be a Cloudflare account id (32 lower-case hex characters)"], String(malformed));
    }
    assert.deepEqual(problemsOf({ ...valid(), cloudflareAccountId: "fedcba9876543210fedcba9876543210" }), [
      "parity:cloudflareAccountId: fedcba9876543210fedcba9876543210 is a placeholder, not an account id; set the real one: " +
        "pulumi config set parity:cloudflareAccountId <32 hex> --stack dev (Cloudflare dashboard → Workers & Pages → Account ID)",
    ]);
  });

  it("requires an API key of at least 16 characters, as a string", () => {
    const required = "parity:apiKey: is required; set it as a secret: pulumi config set --secret parity:apiKey <value> --stack dev";
    assert.deepEqual(problemsOf({ ...valid(), apiKey: "" }), [required]);
    const tooShort = "parity:apiKey: must be a string of at least 16 characters";
    assert.deepEqual(problemsOf({ ...valid(), apiKey: "a".repeat(15) }), [tooShort]);
    assert.deepEqual(problemsOf({ ...valid(), apiKey: 12345678901234567890 }), [tooShort]);
    assert.doesNotThrow(() => parseStackConfig({ ...valid(), apiKey: "a".repeat(16) }, "dev"));
  });

  it("requires an API key a client can send: visible ASCII, no spaces", () => {
    const unsendable = "parity:apiKey: must be visible ASCII only (! to ~: no spaces, no other characters), as a client sends it in a header";
    for (const apiKey of ["a".repeat(16) + " ", " " + "a".repeat(16), "a".repeat(8) + " " + "a".repeat(8), "a".repeat(16) + "\u00e9", "a".repeat(16) + "\u20ac", "a".repeat(16) + "\t", "a".repeat(16) + "\u007f"]) {
      assert.deepEqual(problemsOf({ ...valid(), apiKey }), [unsendable], JSON.stringify(apiKey));
    }
    assert.doesNotThrow(() => parseStackConfig({ ...valid(), apiKey: "!~" + "Aa0-._+/=".repeat(2) }, "dev"));
  });
});

describe("stack config helpers", () => {
  it("names the settings each function takes by its trigger; a function outside the catalog takes an HTTP function's", () => {
    assert.deepEqual(settingKeysFor("users-api"), ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances"]);
    assert.deepEqual(settingKeysFor("queue-worker"), ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances", "batchSize", "maxAttempts"]);
    assert.deepEqual(settingKeysFor("reconciler"), ["memoryMb", "timeoutSeconds", "reservedConcurrency", "everyMinutes"]);
    assert.deepEqual(settingKeysFor("image-resizer"), settingKeysFor("users-api"));
  });

  it("gives a function the defaults of its trigger kind, and a schedule its own interval", () => {
    assert.deepEqual(defaultsFor({ trigger: { kind: "http" } }), { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 10, warmInstances: 0 });
    assert.deepEqual(defaultsFor({ trigger: { kind: "schedule", everyMinutes: 15 } }), { memoryMb: 256, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 15 });
  });

  it("names a stack's component parity-<stack>", () => {
    assert.equal(componentNameFor("prod"), "parity-prod");
  });

  it("specifies every catalog function on a platform with the stack's settings and that platform's overrides", () => {
    const config = parseStackConfig({ ...stackFileValues("prod"), apiKey: TEST_API_KEY, overrides: { aws: { "users-api": { memoryMb: 2048 } } } }, "prod");
    const specs = specsFor(config, "aws");
    assert.deepEqual(specs.map((spec) => spec.definition.name), ["users-api", "queue-worker", "reconciler"]);
    assert.deepEqual(specs[0].settings, { memoryMb: 2048, timeoutSeconds: 15, reservedConcurrency: 100, warmInstances: 2 });
    assert.deepEqual(specs[2].settings, config.functions.reconciler);
    assert.equal(specsFor(config, "gcp")[0].settings.memoryMb, 1024);
  });

  it("gives a function of another catalog (a reused component's) its trigger kind's defaults", () => {
    const config = stackConfig("prod");
    const job = { name: "nightly-report", trigger: { kind: "schedule", everyMinutes: 1440 } } as const;
    assert.deepEqual(settingsOf(config, "azure", job), { memoryMb: 256, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0, everyMinutes: 1440 });
    assert.deepEqual(settingsOf(config, "azure", catalog[0]), config.functions["users-api"]);
  });

  it("takes a repeated digit or the hex alphabet in order as a placeholder, and nothing one character off", () => {
    for (const placeholder of ["0".repeat(32), "a".repeat(32), "0123456789abcdef".repeat(2), "fedcba9876543210".repeat(2)]) assert.equal(isPlaceholderAccountId(placeholder), true, placeholder);
    for (const real of [`${"0".repeat(31)}1`, `1${"0".repeat(31)}`, `${"0123456789abcdef".repeat(2).slice(0, 31)}0`, "9f2c4e1a7b3d5f6e8a0c2e4f6b8d0a1c"]) {
      assert.equal(isPlaceholderAccountId(real), false, real);
    }
  });
});
