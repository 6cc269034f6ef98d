/**
 * The two deploy-time steps `@pulumi/cloudflare` 6.x has no resource for, as small dynamic
 * resources that call the Cloudflare API themselves:
 * - `D1Migrations`: its D1Database creates an empty database, so the schema (./migrations.ts)
 *   is applied through the D1 query API ("Supports multiple statements, joined by semicolons,
 *   which will be executed as a batch":
 *   https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/query);
 * - `WorkersDevSubdomain`: the account's workers.dev subdomain, for the HTTP Worker's URL.
 *
 * Providers are serialised into the state by Pulumi, so each is self-contained: only global
 * `fetch`, no imports. Both take `apiBaseUrl` so tests can point them at a loopback stand-in.
 */
import * as pulumi from "@pulumi/pulumi";
import type { D1MigrationStatements } from "./migrations";

/**
 * How an input not known yet reaches a dynamic provider's `diff`: the engine marshals an unknown
 * as this string whatever its type (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go
 * `UnknownStringValue`), and @pulumi/pulumi's dynamic provider host hands `diff` the news as
 * `req.getNews().toJavaScript()` (cmd/dynamic-provider/index.ts). In a preview, an input made of
 * another resource's output is unknown while that resource is created, replaced or updated; the
 * engine diffs again with the real value when `pulumi up` runs the step, so an unknown decides
 * no replacement.
 */
const UNKNOWN_INPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Inputs of {@link D1Migrations}. */
export interface D1MigrationsArgs {
  accountId: pulumi.Input<string>;
  /** The D1 database UUID (`D1Database.uuid`). */
  databaseId: pulumi.Input<string>;
  /**
   * The migrations, by ledger name, from `migrationsAsStatements` (./migrations.ts). Those not
   * yet recorded in the database's `d1_migrations` are applied, each with its ledger row.
   */
  migrations: pulumi.Input<D1MigrationStatements[]>;
  /**
   * Cloudflare API token with D1 Edit. @default the `CLOUDFLARE_API_TOKEN` environment
   * variable of the `pulumi up` process (the provider's own default).
   */
  apiToken?: pulumi.Input<string>;
}

export interface MigrationInputs {
  accountId: string;
  databaseId: string;
  migrations: D1MigrationStatements[];
  apiToken?: string;
  /** Tests point this at a loopback stand-in. @default "https://api.cloudflare.com/client/v4" */
  apiBaseUrl?: string;
}

/**
 * Applies the migrations the database's ledger lacks: first the ledger itself and a read of
 * it, then one batch with each missing migration's statements and its ledger row (wrangler's
 * table and rule: https://developers.cloudflare.com/d1/reference/migrations/).
 */
export const d1MigrationsProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: MigrationInputs) {
    const applied = await migrateD1(inputs);
    return { id: `${inputs.databaseId}/migrations`, outs: { ...inputs, apiToken: undefined, appliedMigrations: applied } };
  },
  async diff(_id: string, olds: MigrationInputs, news: MigrationInputs) {
    // A rotated or moved token changes nothing in the database. A database id not known yet (the
    // database itself changes in this preview) may be a change, never a planned replacement.
    const changed = olds.accountId !== news.accountId || olds.databaseId !== news.databaseId || JSON.stringify(olds.migrations) !== JSON.stringify(news.migrations);
    const movedDatabase = news.databaseId !== UNKNOWN_INPUT && olds.databaseId !== news.databaseId;
    return { changes: changed, replaces: movedDatabase ? ["databaseId"] : [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: MigrationInputs, news: MigrationInputs) {
    const applied = await migrateD1(news);
    return { outs: { ...news, apiToken: undefined, appliedMigrations: applied } };
  },
  async delete() {
    // The schema lives and dies with the database; nothing to undo.
  },
};

/** Returns the ledger names after the run. */
async function migrateD1(inputs: MigrationInputs): Promise<string[]> {
  const token = inputs.apiToken || process.env.CLOUDFLARE_API_TOKEN;
  if (!token) {
    throw new Error("Applying D1 migrations needs a Cloudflare API token with D1 Edit: set CLOUDFLARE_API_TOKEN or pass `deployApiToken`.");
  }
  const url = `${inputs.apiBaseUrl ?? "https://api.cloudflare.com/client/v4"}/accounts/${inputs.accountId}/d1/database/${inputs.databaseId}/query`;
  const query = async (sql: string) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ sql }),
    });
    const body = (await response.json().catch(() => ({}))) as { success?: boolean; errors?: { message: string }[]; result?: { results?: { name?: string }[] }[] };
    if (!response.ok || body.success === false) {
      throw new Error(`D1 migrations failed (${response.status}): ${(body.errors ?? []).map((e) => e.message).join("; ") || "no details"}`);
    }
    return body.result ?? [];
  };
  // Same statements as MIGRATIONS_TABLE_SQL / APPLIED_MIGRATIONS_SQL in ./migrations.ts (no imports here: see above).
  const ledger = await query(
    "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);\nSELECT name FROM d1_migrations",
  );
  const applied = (ledger.at(-1)?.results ?? []).map((row) => String(row.name));
  const missing = inputs.migrations.filter((m) => !applied.includes(m.name));
  if (missing.length > 0) {
    const statements = missing.flatMap((m) => [...m.statements, `INSERT OR IGNORE INTO d1_migrations (name) VALUES ('${m.name.replace(/'/g, "''")}')`]);
    await query(statements.join(";\n"));
  }
  return [...applied, ...missing.map((m) => m.name)];
}

/** Applies the D1 migrations on deploy (only those the database's ledger lacks: see ./migrations.ts). */
export class D1Migrations extends pulumi.dynamic.Resource {
  declare readonly appliedMigrations: pulumi.Output<string[]>;
  constructor(name: string, args: D1MigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    super(d1MigrationsProvider, name, { appliedMigrations: undefined, ...args }, { ...opts, additionalSecretOutputs: ["apiToken"] });
  }
}

/** Inputs of {@link WorkersDevSubdomain}. */
export interface WorkersDevSubdomainArgs {
  accountId: pulumi.Input<string>;
  apiToken?: pulumi.Input<string>;
}

export interface SubdomainInputs {
  accountId: string;
  apiToken?: string;
  /** Tests point this at a loopback stand-in. @default "https://api.cloudflare.com/client/v4" */
  apiBaseUrl?: string;
}

/**
 * Reads the account's workers.dev subdomain (`<sub>` in `<script>.<sub>.workers.dev`);
 * `@pulumi/cloudflare` 6.x has no resource or data source for it.
 * Source: https://developers.cloudflare.com/api/resources/workers/subresources/subdomains/methods/get/
 *
 * `diff` ignores the token (rotating it, or moving it from the environment to config, changes
 * no subdomain), and `update` reads the subdomain again, so `subdomain` is always in the
 * outputs: the default update keeps no outputs, and the endpoint would become
 * `https://<script>.undefined.workers.dev`. Deleting it deletes nothing at Cloudflare.
 */
export const subdomainProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: SubdomainInputs) {
    return { id: `${inputs.accountId}/workers-subdomain`, outs: { accountId: inputs.accountId, subdomain: await readSubdomain(inputs) } };
  },
  async diff(_id: string, olds: SubdomainInputs, news: SubdomainInputs) {
    // The account comes from stack config, so it is known even in a preview; should it ever be
    // unknown, it is a possible change, not a planned replacement.
    const accountChanged = olds.accountId !== news.accountId;
    return { changes: accountChanged, replaces: accountChanged && news.accountId !== UNKNOWN_INPUT ? ["accountId"] : [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: SubdomainInputs, news: SubdomainInputs) {
    return { outs: { accountId: news.accountId, subdomain: await readSubdomain(news) } };
  },
  async delete() {
    // Only read: the account's subdomain is not ours to remove.
  },
};

async function readSubdomain(inputs: SubdomainInputs): Promise<string> {
  const token = inputs.apiToken || process.env.CLOUDFLARE_API_TOKEN;
  if (!token) throw new Error("Reading the workers.dev subdomain needs a Cloudflare API token: set CLOUDFLARE_API_TOKEN or pass `workersDevSubdomain`.");
  const response = await fetch(`${inputs.apiBaseUrl ?? "https://api.cloudflare.com/client/v4"}/accounts/${inputs.accountId}/workers/subdomain`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json().catch(() => ({}))) as { result?: { subdomain?: string } };
  const subdomain = body.result?.subdomain;
  if (!response.ok || !subdomain) {
    throw new Error(`Could not read the workers.dev subdomain (${response.status}); create one in the dashboard (Workers & Pages → Subdomain).`);
  }
  return subdomain;
}

export class WorkersDevSubdomain extends pulumi.dynamic.Resource {
  declare readonly subdomain: pulumi.Output<string>;
  constructor(name: string, args: WorkersDevSubdomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(subdomainProvider, name, { subdomain: undefined, ...args }, { ...opts, additionalSecretOutputs: ["apiToken"] });
  }
}
