/**
 * Reads and validates the stack config (namespace `parity`). Every problem is reported
 * before any resource is created, naming the key, the stack and what is allowed.
 * Components never read `pulumi.Config` themselves: they take the decided values.
 * Pure: the local cloud and the tools validate stack files without loading Pulumi;
 * `readStackConfig` (components/program.ts) reads the running program's config through it.
 */
import { catalog, findFunction, functionNames, platforms, type FunctionDefinition, type FunctionName, type Platform, type TriggerKind } from "./catalog";
import { allowedEveryMinutes, isAllowedEveryMinutes } from "./schedule";

/** A function as the rules see it: what it is and the portable settings it asks for. */
export interface FunctionSpec {
  /** Name, trigger and declared capabilities (from the catalog, or your own). */
  definition: Pick<FunctionDefinition, "name" | "trigger" | "capabilities" | "description">;
  /** Portable settings; each platform's rules map them to native knobs. */
  settings: FunctionSettings;
}

/** Portable settings of one function; each component maps them to its platform's knobs. */
export interface FunctionSettings {
  /** Memory per instance, MiB. */
  memoryMb: number;
  /** Maximum run time of one invocation, seconds. */
  timeoutSeconds: number;
  /** Upper bound of concurrent executions of this function. */
  reservedConcurrency: number;
  /** Instances kept initialised to avoid cold starts (0 = none). */
  warmInstances: number;
  /** Queue functions only: messages per invocation. */
  batchSize?: number;
  /** Queue functions only: deliveries of one message before it is dead-lettered. */
  maxAttempts?: number;
  /** Schedule functions only: minutes between runs; must divide an hour, or be hours that divide a day. */
  everyMinutes?: number;
}

export type FunctionSettingKey = keyof FunctionSettings;
type PerFunction<T> = Record<FunctionName, T>;

export interface ParityConfig {
  /** The stack these values came from; used in messages. */
  stack: string;
  platforms: Platform[];
  /** Decided settings per function (defaults applied, overrides not yet). */
  functions: PerFunction<FunctionSettings>;
  /** Per-platform, per-function overrides for experiments that tune one platform. */
  overrides: Partial<Record<Platform, Partial<PerFunction<Partial<FunctionSettings>>>>>;
  logRetentionDays: number;
  /** Deletion protection and point-in-time recovery for stores (prod). */
  protectData: boolean;
  cloudflareAccountId?: string;
}

interface Range {
  min: number;
  max: number;
}

/** Portable bounds: the widest values at least one platform accepts; components clamp and warn. */
export const settingRanges: Record<FunctionSettingKey, Range> = {
  memoryMb: { min: 128, max: 10240 },
  timeoutSeconds: { min: 1, max: 900 },
  reservedConcurrency: { min: 1, max: 1000 },
  warmInstances: { min: 0, max: 100 },
  batchSize: { min: 1, max: 100 },
  maxAttempts: { min: 1, max: 100 },
  // The allowed values themselves are checked by isAllowedEveryMinutes (components/schedule.ts).
  everyMinutes: { min: 1, max: 1440 },
};

/** The settings each trigger kind takes. A schedule keeps nothing warm: it runs a few times an hour. */
const settingKeysByTrigger: Record<TriggerKind, FunctionSettingKey[]> = {
  http: ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances"],
  queue: ["memoryMb", "timeoutSeconds", "reservedConcurrency", "warmInstances", "batchSize", "maxAttempts"],
  schedule: ["memoryMb", "timeoutSeconds", "reservedConcurrency", "everyMinutes"],
};

/** The settings a function gets when the stack says nothing, by trigger kind. */
export const defaultSettings = {
  http: { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 10, warmInstances: 0 },
  queue: { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 10, maxAttempts: 5 },
  // everyMinutes comes from the catalog's trigger (see defaultsFor).
  schedule: { memoryMb: 256, timeoutSeconds: 60, reservedConcurrency: 1, warmInstances: 0 },
} satisfies Record<TriggerKind, FunctionSettings>;

/** A function's settings when the stack says nothing: its trigger kind's, and a schedule's own interval. */
export function defaultsFor(definition: Pick<FunctionDefinition, "trigger">): FunctionSettings {
  const base: FunctionSettings = { ...defaultSettings[definition.trigger.kind] };
  if (definition.trigger.kind === "schedule") base.everyMinutes = definition.trigger.everyMinutes;
  return base;
}

export const LOG_RETENTION_RANGE: Range = { min: 1, max: 3653 };

/** The `parity:*` keys a stack may set. */
export const configKeys = [
  "platforms",
  "functions",
  "overrides",
  "logRetentionDays",
  "protectData",
  "cloudflareAccountId",
  "apiKey",
] as const;

export class StackConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid stack config for stack "${stack}" (nothing was created):\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "StackConfigError";
  }
}

export function settingKeysFor(functionName: string): FunctionSettingKey[] {
  return settingKeysByTrigger[findFunction(functionName)?.trigger.kind ?? "http"];
}

/**
 * What a client can present as the key: `x-api-key: <key>` or `Authorization: Bearer <key>`. A
 * header value is visible ASCII between optional whitespace that the server strips (RFC 9110 §5.5,
 * https://www.rfc-editor.org/rfc/rfc9110#section-5.5: field-vchar; other octets are obs-text that
 * fetch refuses or a runtime decodes as Latin-1), so a key with a space at either end or a
 * character past `~` can be configured and never matched. Inner spaces are refused too: a Bearer
 * token has none (RFC 6750 §2.1, b64token).
 */
const SENDABLE_API_KEY = /^[\x21-\x7e]+$/;

/**
 * Validates raw stack values (keys without the `parity:` prefix, values as YAML/JSON
 * parsed them) and returns the decided config, or throws {@link StackConfigError} listing
 * every problem.
 */
export function parseStackConfig(
  raw: Record<string, unknown>,
  stack: string,
  options: {
    /**
     * A real deploy (`index.ts`): values only a provider needs are required. Offline uses (tests,
     * the local cloud, `npm run plan`, `npm run compare`) work without them.
     */
    forDeploy?: boolean;
  } = {},
): ParityConfig {
  const problems: string[] = [];
  const problem = (key: string, message: string) => problems.push(`parity:${key}: ${message}`);
  const list = (values: readonly string[]) => values.join(", ");

  for (const key of Object.keys(raw)) {
    if (!(configKeys as readonly string[]).includes(key)) problem(key, `unknown key; allowed keys: ${list(configKeys)}`);
  }

  // platforms
  let chosenPlatforms: Platform[] = [];
  const rawPlatforms = raw.platforms ?? [...platforms];
  if (!Array.isArray(rawPlatforms) || rawPlatforms.length === 0) {
    problem("platforms", `must be a non-empty list; allowed values: ${list(platforms)}`);
  } else {
    for (const value of rawPlatforms) {
      if (!(platforms as readonly unknown[]).includes(value)) {
        problem("platforms", `unknown platform ${JSON.stringify(value)}; allowed values: ${list(platforms)}`);
      }
    }
    // Stryker disable next-line MethodExpression: an unknown value is already a problem above, so the config is refused; until then the list is only asked whether it includes cloudflare.
    chosenPlatforms = [...new Set(rawPlatforms.filter((p): p is Platform => (platforms as readonly unknown[]).includes(p)))];
  }

  // functions
  const functions = {} as PerFunction<FunctionSettings>;
  const rawFunctions = raw.functions ?? {};
  if (!isRecord(rawFunctions)) problem("functions", `must be a map keyed by function name (${list(functionNames)})`);
  const functionsMap = isRecord(rawFunctions) ? rawFunctions : {};
  for (const name of Object.keys(functionsMap)) {
    if (!findFunction(name)) problem(`functions.${name}`, `unknown function; allowed: ${list(functionNames)}`);
  }
  for (const fn of catalog) {
    const given = functionsMap[fn.name] ?? {};
    const base = defaultsFor(fn);
    functions[fn.name] = applySettings(base, given, `functions.${fn.name}`, fn.name, problem);
  }

  // overrides: { <platform>: { <function>: { <setting>: value } } }
  const overrides: ParityConfig["overrides"] = {};
  const rawOverrides = raw.overrides ?? {};
  if (!isRecord(rawOverrides)) problem("overrides", "must be a map: <platform>: { <function>: { <setting>: value } }");
  for (const [platform, perFunction] of Object.entries(isRecord(rawOverrides) ? rawOverrides : {})) {
    const key = `overrides.${platform}`;
    if (!(platforms as readonly string[]).includes(platform)) {
      problem(key, `unknown platform; allowed values: ${list(platforms)}`);
      continue;
    }
    if (!isRecord(perFunction)) {
      problem(key, `must be a map keyed by function name (${list(functionNames)})`);
      continue;
    }
    const platformOverrides: Partial<PerFunction<Partial<FunctionSettings>>> = {};
    for (const [name, given] of Object.entries(perFunction)) {
      if (!findFunction(name)) {
        problem(`${key}.${name}`, `unknown function; allowed: ${list(functionNames)}`);
        continue;
      }
      const fnName = name as FunctionName;
      // Validate the merged result so cross-field rules (warm ≤ reserved) hold after overriding.
      const merged = applySettings({ ...functions[fnName] }, given, `${key}.${name}`, name, problem);
      platformOverrides[fnName] = Object.fromEntries(
        Object.keys(isRecord(given) ? given : {}).map((k) => [k, merged[k as FunctionSettingKey]]),
      ) as Partial<FunctionSettings>;
    }
    overrides[platform as Platform] = platformOverrides;
  }

  const logRetentionDays = integerIn(raw.logRetentionDays ?? 7, LOG_RETENTION_RANGE, "logRetentionDays", problem);

  const protectData = raw.protectData ?? false;
  if (typeof protectData !== "boolean") problem("protectData", "must be true or false");

  // Pulumi.yaml declares "" as the default, meaning "not set". The checked-in stack files leave it
  // unset: a committed value would validate and then fail at the provider.
  const cloudflareAccountId = raw.cloudflareAccountId === "" ? undefined : raw.cloudflareAccountId;
  const setAccountId = `pulumi config set parity:cloudflareAccountId <32 hex> --stack ${stack} (Cloudflare dashboard → Workers & Pages → Account ID)`;
  if (cloudflareAccountId !== undefined && (typeof cloudflareAccountId !== "string" || !/^[0-9a-f]{32}$/.test(cloudflareAccountId))) {
    problem("cloudflareAccountId", "must be a Cloudflare account id (32 lower-case hex characters)");
  } else if (typeof cloudflareAccountId === "string" && isPlaceholderAccountId(cloudflareAccountId)) {
    problem("cloudflareAccountId", `${cloudflareAccountId} is a placeholder, not an account id; set the real one: ${setAccountId}`);
  } else if (cloudflareAccountId === undefined && chosenPlatforms.includes("cloudflare") && options.forDeploy) {
    problem("cloudflareAccountId", `is required to deploy cloudflare (32 lower-case hex characters); set it: ${setAccountId}`);
  }

  if (raw.apiKey === undefined || raw.apiKey === "") {
    problem("apiKey", `is required; set it as a secret: pulumi config set --secret parity:apiKey <value> --stack ${stack}`);
  } else if (typeof raw.apiKey !== "string" || raw.apiKey.length < 16) {
    problem("apiKey", "must be a string of at least 16 characters");
  } else if (!SENDABLE_API_KEY.test(raw.apiKey)) {
    problem("apiKey", "must be visible ASCII only (! to ~: no spaces, no other characters), as a client sends it in a header");
  }

  if (problems.length > 0) throw new StackConfigError(stack, problems);
  return {
    stack,
    platforms: chosenPlatforms,
    functions,
    overrides,
    logRetentionDays: logRetentionDays!,
    protectData: protectData as boolean,
    cloudflareAccountId: cloudflareAccountId as string | undefined,
  };
}

/** The settings one function gets on one platform: stack settings with that platform's overrides. */
export function settingsFor(config: ParityConfig, platform: Platform, functionName: FunctionName): FunctionSettings {
  return { ...config.functions[functionName], ...config.overrides[platform]?.[functionName] };
}

/**
 * The settings of any function on one platform: the stack's for a catalog function, the
 * defaults of its trigger kind for a function of another catalog (a reused component's).
 */
/**
 * The component name of a stack's program, `parity-<stack>`: it prefixes every physical name, so
 * stacks sharing an account do not collide.
 */
export const componentNameFor = (stack: string) => `parity-${stack}`;

/** Each function's spec on one platform as the stack decides it (what a plan needs; no bundle). */
export function specsFor(config: ParityConfig, platform: Platform, functions: readonly FunctionDefinition[] = catalog): FunctionSpec[] {
  return functions.map((definition) => ({ definition, settings: settingsOf(config, platform, definition) }));
}

export function settingsOf(config: ParityConfig, platform: Platform, definition: Pick<FunctionDefinition, "name" | "trigger">): FunctionSettings {
  const own = config.functions[definition.name as FunctionName];
  if (own) return settingsFor(config, platform, definition.name as FunctionName);
  return defaultsFor(definition);
}

/**
 * Values that pass the 32-hex check but are not anyone's account: one repeated digit, or the
 * hex alphabet in order (what examples and templates use).
 */
export function isPlaceholderAccountId(value: string): boolean {
  return /^(.)\1*$/.test(value) || "0123456789abcdef".repeat(2) === value || "fedcba9876543210".repeat(2) === value;
}

/** Stands in for the Cloudflare account id where nothing is deployed (`npm run plan`); never reaches a provider. */
export const OFFLINE_CLOUDFLARE_ACCOUNT_ID = "offline-plan-no-cloudflare-account";

function applySettings(
  base: FunctionSettings,
  given: unknown,
  key: string,
  functionName: string,
  problem: (key: string, message: string) => void,
): FunctionSettings {
  const allowed = settingKeysFor(functionName);
  if (!isRecord(given)) {
    problem(key, `must be a map of settings; allowed: ${allowed.join(", ")}`);
    return base;
  }
  const result = { ...base };
  for (const [setting, value] of Object.entries(given)) {
    if (!(allowed as string[]).includes(setting)) {
      problem(`${key}.${setting}`, `unknown setting for ${functionName}; allowed: ${allowed.join(", ")}`);
      continue;
    }
    if (setting === "everyMinutes") {
      if (isAllowedEveryMinutes(value)) result.everyMinutes = value;
      else problem(`${key}.${setting}`, `${JSON.stringify(value)} is not allowed; allowed: minutes that divide an hour or whole hours that divide a day: ${allowedEveryMinutes.join(", ")} (others fire unevenly on cron-based platforms)`);
      continue;
    }
    const checked = integerIn(value, settingRanges[setting as FunctionSettingKey], `${key}.${setting}`, problem);
    if (checked !== undefined) result[setting as FunctionSettingKey] = checked;
  }
  if (result.warmInstances > result.reservedConcurrency) {
    problem(
      `${key}.warmInstances`,
      `${result.warmInstances} exceeds reservedConcurrency ${result.reservedConcurrency}; allowed: 0 to ${result.reservedConcurrency}`,
    );
  }
  return result;
}

function integerIn(
  value: unknown,
  range: Range,
  key: string,
  problem: (key: string, message: string) => void,
): number | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    problem(key, `${JSON.stringify(value)} is not allowed; allowed: an integer from ${range.min} to ${range.max}`);
    return undefined;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
