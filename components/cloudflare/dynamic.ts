/**
 * The two deploy-time steps `@pulumi/cloudflare` 6.x has no resource for, as small dynamic
 * resources that call the Cloudflare API themselves:
 * - `D1Migrations`: its D1Database creates an empty database, so the schema (./migrations.ts)
 *   is applied through the D1 query API ("Supports multiple statements, joined by semicolons,
 *   which will be executed as a batch":
 *   https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/query);
 * - `WorkersDevSubdomain`: the account's workers.dev subdomain, for the HTTP Worker's URL.
 */
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link D1Migrations}. */
export interface D1MigrationsArgs {
  accountId: pulumi.Input<string>;
  /** The D1 database UUID (`D1Database.uuid`). */
  databaseId: pulumi.Input<string>;
  /** Statements to run, from `migrationStatements` (./migrations.ts). A change re-applies them all (idempotent). */
  statements: pulumi.Input<string[]>;
  /**
   * Cloudflare API token with D1 Edit. @default the `CLOUDFLARE_API_TOKEN` environment
   * variable of the `pulumi up` process (the provider's own default).
   */
  apiToken?: pulumi.Input<string>;
}

export interface MigrationInputs {
  accountId: string;
  databaseId: string;
  statements: string[];
  apiToken?: string;
  /** Tests point this at a loopback stand-in. @default "https://api.cloudflare.com/client/v4" */
  apiBaseUrl?: string;
}

/**
 * Self-contained (Pulumi serialises it into the state): only global `fetch`, no imports.
 */
export const d1MigrationsProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: MigrationInputs) {
    await runOnD1(inputs);
    return { id: `${inputs.databaseId}/migrations`, outs: { ...inputs, apiToken: undefined, appliedCount: inputs.statements.length } };
  },
  async update(_id: string, _olds: MigrationInputs, news: MigrationInputs) {
    await runOnD1(news);
    return { outs: { ...news, apiToken: undefined, appliedCount: news.statements.length } };
  },
  async delete() {
    // The schema lives and dies with the database; nothing to undo.
  },
};

async function runOnD1(inputs: MigrationInputs): Promise<void> {
  const token = inputs.apiToken || process.env.CLOUDFLARE_API_TOKEN;
  if (!token) {
    throw new Error("Applying D1 migrations needs a Cloudflare API token with D1 Edit: set CLOUDFLARE_API_TOKEN or pass `deployApiToken`.");
  }
  const base = inputs.apiBaseUrl ?? "https://api.cloudflare.com/client/v4";
  const url = `${base}/accounts/${inputs.accountId}/d1/database/${inputs.databaseId}/query`;
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ sql: inputs.statements.join(";\n") }),
  });
  const body = (await response.json().catch(() => ({}))) as { success?: boolean; errors?: { message: string }[] };
  if (!response.ok || body.success === false) {
    throw new Error(`D1 migrations failed (${response.status}): ${(body.errors ?? []).map((e) => e.message).join("; ") || "no details"}`);
  }
}

/** Applies the D1 migrations on deploy (idempotent: see ./migrations.ts). */
export class D1Migrations extends pulumi.dynamic.Resource {
  declare readonly appliedCount: pulumi.Output<number>;
  constructor(name: string, args: D1MigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    super(d1MigrationsProvider, name, { appliedCount: undefined, ...args }, { ...opts, additionalSecretOutputs: ["apiToken"] });
  }
}

/** Inputs of {@link WorkersDevSubdomain}. */
export interface WorkersDevSubdomainArgs {
  accountId: pulumi.Input<string>;
  apiToken?: pulumi.Input<string>;
}

/**
 * Reads the account's workers.dev subdomain (`<sub>` in `<script>.<sub>.workers.dev`);
 * `@pulumi/cloudflare` 6.x has no resource or data source for it.
 * Source: https://developers.cloudflare.com/api/go/resources/workers/subresources/subdomains/methods/get
 */
const subdomainProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { accountId: string; apiToken?: string }) {
    const token = inputs.apiToken || process.env.CLOUDFLARE_API_TOKEN;
    if (!token) throw new Error("Reading the workers.dev subdomain needs a Cloudflare API token: set CLOUDFLARE_API_TOKEN or pass `workersDevSubdomain`.");
    const response = await fetch(`https://api.cloudflare.com/client/v4/accounts/${inputs.accountId}/workers/subdomain`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json().catch(() => ({}))) as { result?: { subdomain?: string }; errors?: { message: string }[] };
    const subdomain = body.result?.subdomain;
    if (!response.ok || !subdomain) {
      throw new Error(`Could not read the workers.dev subdomain (${response.status}); create one in the dashboard (Workers & Pages → Subdomain).`);
    }
    return { id: `${inputs.accountId}/workers-subdomain`, outs: { accountId: inputs.accountId, subdomain } };
  },
};

export class WorkersDevSubdomain extends pulumi.dynamic.Resource {
  declare readonly subdomain: pulumi.Output<string>;
  constructor(name: string, args: WorkersDevSubdomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(subdomainProvider, name, { subdomain: undefined, ...args }, { ...opts, additionalSecretOutputs: ["apiToken"] });
  }
}
