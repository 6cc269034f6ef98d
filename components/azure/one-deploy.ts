/**
 * `OneDeploy`: publishes a Function App's package through one deploy, the only way code reaches a
 * Flex Consumption app ("the deployment container … isn't a deployment source: a blob put there
 * directly is not deployed", functions-infrastructure-as-code?pivots=flex-consumption-plan,
 * "Deployment sources"). The same call the Azure CLI makes for Flex apps
 * (`az functionapp deployment source config-zip` → `enable_zip_deploy_flex`):
 * `POST https://<scm host>/api/publish?RemoteBuild=false` with the zip as `application/zip` and a
 * Microsoft Entra bearer token, then polling the deployment until it completes.
 * https://learn.microsoft.com/azure/azure-functions/functions-deployment-technologies#one-deploy
 * https://github.com/Azure/azure-cli/blob/dev/src/azure-cli/azure/cli/command_modules/appservice/custom.py (enable_zip_deploy_flex)
 *
 * Publishing again happens only when the package's hash changes (`diff`), never because the
 * bearer token changed (a fresh one comes with every `pulumi up`).
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * A Flex Consumption deployment's status (`status` in `/api/deployments/<id>`): -1 Cancelled,
 * 0 Pending, 1 Building, 2 Deploying, 3 Failed, 4 Success, 5 Conflict, 6 PartialSuccess
 * (Azure/azure-dev#3658, the values azd reads for Flex one deploy). Only 4 is success; 5 is a
 * conflict with another deployment, not Kudu's old "Complete", and 6 left part of the package
 * undeployed: both fail the publish, as Cancelled and Failed do.
 */
export const deployStatus = { cancelled: -1, pending: 0, building: 1, deploying: 2, failed: 3, success: 4, conflict: 5, partialSuccess: 6 } as const;

/** The statuses that end a deployment without success, by name for the error. */
export const failedDeployStatuses: Readonly<Record<number, string>> = { [-1]: "Cancelled", 3: "Failed", 5: "Conflict", 6: "PartialSuccess" };

/**
 * What the engine passes a dynamic provider for a value not known yet (a preview before the
 * app's host name is known): `UnknownValue` in @pulumi/pulumi `runtime/rpc` (the same UUID).
 */
export const UNKNOWN_INPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Inputs of {@link OneDeploy}. */
export interface OneDeployArgs {
  /** The app's SCM site, `https://<app>.scm.azurewebsites.net` (see `scmUrlFor`). */
  scmUrl: pulumi.Input<string>;
  /** The package zip on the machine running `pulumi up`. */
  zipPath: pulumi.Input<string>;
  /** The package's content hash: a new hash is a new deployment, the same hash none. */
  hash: pulumi.Input<string>;
  /** A Microsoft Entra token the SCM site accepts (`authorization.getClientTokenOutput`). A secret: encrypted where the state keeps inputs, never an output. */
  token: pulumi.Input<string>;
}

/** What the provider receives. */
export interface OneDeployInputs {
  scmUrl: string;
  zipPath: string;
  hash: string;
  token?: string;
}

/** Timings, small in tests. */
export interface OneDeployTimings {
  /** Between two status polls. @default 2000 (the Azure CLI polls every 2 s) */
  pollIntervalMs: number;
  /** Longest wait for a deployment to complete. @default 900000 (the CLI's 450 polls × 2 s) */
  timeoutMs: number;
  /**
   * How long a 403 is retried: a new role assignment can take up to 10 minutes to take effect
   * (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected).
   * @default 600000
   */
  forbiddenRetryMs: number;
}

export const defaultOneDeployTimings: OneDeployTimings = { pollIntervalMs: 2000, timeoutMs: 900_000, forbiddenRetryMs: 600_000 };

/** The SCM site of an app, from its default hostname (`<app>.azurewebsites.net` or a regional unique one). */
export const scmUrlFor = (defaultHostName: string) => `https://${defaultHostName.replace(/^([^.]+)\./, "$1.scm.")}`;

/**
 * The provider. Self-contained (Pulumi serialises it into the state): global `fetch` and
 * `require("node:fs")` only.
 */
export function oneDeployProvider(
  timings: OneDeployTimings = defaultOneDeployTimings,
  /**
   * A token for each request. @default a token from `@azure/identity`, asked for before every
   * request so a long publish never sends an expired one (the credential caches a token and
   * renews it before it expires): the service principal in azure-native's own `ARM_CLIENT_ID`,
   * `ARM_CLIENT_SECRET`, `ARM_TENANT_ID` when all three are set (the provider's identity, not
   * another one found first), otherwise DefaultAzureCredential (environment, workload identity,
   * managed identity, Azure CLI: the deployer's own login); where neither finds a credential,
   * the token the program read at start (`inputs.token`).
   */
  freshToken?: () => Promise<string | undefined>,
): pulumi.dynamic.ResourceProvider {
  const defaultFreshToken = () => {
    let credential: { getToken(scope: string): Promise<{ token: string } | null> } | undefined | null;
    return async (): Promise<string | undefined> => {
      if (credential === null) return undefined;
      try {
        if (!credential) {
          const { ClientSecretCredential, DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
          const { ARM_CLIENT_ID: clientId, ARM_CLIENT_SECRET: clientSecret, ARM_TENANT_ID: tenantId } = process.env;
          credential = clientId && clientSecret && tenantId ? new ClientSecretCredential(tenantId, clientId, clientSecret) : new DefaultAzureCredential();
        }
        // The audience the Azure CLI asks for SCM sites (the cloud's active_directory_resource_id).
        return (await credential.getToken("https://management.core.windows.net/.default"))?.token;
      } catch {
        credential = null;
        return undefined;
      }
    };
  };
  const publish = async (inputs: OneDeployInputs): Promise<{ deploymentId: string }> => {
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const tokenSource = freshToken ?? defaultFreshToken();
    const authorization = async () => {
      const token = (await tokenSource()) ?? inputs.token;
      if (!token) throw new Error("one deploy needs a Microsoft Entra token for the SCM site; none was given.");
      return { authorization: `Bearer ${token}` };
    };
    const zip = readFileSync(inputs.zipPath);
    const started = Date.now();
    // A fresh role assignment answers 403 until it propagates: from the SCM site itself, or as a
    // 400 BlobUploadFailedException carrying storage's 403 when the app's identity cannot yet
    // write its deployment container (observed by ZeroFailed.Deploy.Azure's
    // Publish-FlexConsumptionFunctionApp). Both are retried for a bounded time.
    let response: Response;
    for (;;) {
      response = await fetch(`${inputs.scmUrl}/api/publish?RemoteBuild=false`, {
        method: "POST",
        headers: { ...(await authorization()), "content-type": "application/zip", "cache-control": "no-cache" },
        body: zip,
      });
      const text = await response.text();
      const forbidden = response.status === 403 || (response.status === 400 && /BlobUploadFailed/i.test(text) && /403/.test(text));
      if (!forbidden) {
        if (response.status !== 200 && response.status !== 202) throw new Error(`one deploy to ${inputs.scmUrl} refused the package (HTTP ${response.status}): ${text || "no details"}`);
        break;
      }
      if (Date.now() - started >= timings.forbiddenRetryMs) {
        throw new Error(`one deploy to ${inputs.scmUrl} still forbidden (HTTP ${response.status}) after ${Math.round(timings.forbiddenRetryMs / 1000)} s: ${text || "no details"}`);
      }
      await sleep(timings.pollIntervalMs);
    }
    // The 202 carries the deployment's status URL; the CLI polls `latest`, the fallback here too.
    const statusUrl = response.headers.get("location") ?? `${inputs.scmUrl}/api/deployments/latest`;
    // Flex answers HTTP 200 while a deployment runs and after it failed: the body says which.
    // Any other HTTP status is the answer itself: a 401 or 404 will not turn into a deployment
    // status by waiting, so it fails at once; 429 and 5xx are retried until the timeout.
    let last = "no answer yet";
    for (;;) {
      const poll = await fetch(statusUrl, { headers: await authorization() });
      if (!poll.ok) {
        const text = await poll.text().catch(() => "");
        if (poll.status !== 429 && poll.status < 500) {
          throw new Error(`one deploy to ${inputs.scmUrl}: the deployment status at ${statusUrl} answered HTTP ${poll.status}: ${text || "no details"}`);
        }
        last = `HTTP ${poll.status}`;
      } else {
        const body = (await poll.json().catch(() => ({}))) as { id?: string; status?: number; complete?: boolean; status_text?: string; log_url?: string };
        if (body.status === 4) return { deploymentId: body.id ?? "latest" };
        const failed = body.status === undefined ? undefined : failedDeployStatuses[body.status];
        if (failed) {
          throw new Error(`one deploy to ${inputs.scmUrl} ended ${failed} (status ${body.status}): ${body.status_text || "no status text"}${body.log_url ? ` (log: ${body.log_url})` : ""}`);
        }
        if (body.complete === true) throw new Error(`one deploy to ${inputs.scmUrl} completed with status ${body.status}: ${body.status_text || "no status text"}`);
        last = `status ${body.status ?? "unknown"}`;
      }
      if (Date.now() - started >= timings.timeoutMs) throw new Error(`one deploy to ${inputs.scmUrl} did not complete within ${Math.round(timings.timeoutMs / 1000)} s (last ${last}).`);
      await sleep(timings.pollIntervalMs);
    }
  };
  // The token is never an output: the outputs hold what was deployed, not how.
  const outsOf = (inputs: OneDeployInputs, deploymentId: string) => ({ scmUrl: inputs.scmUrl, zipPath: inputs.zipPath, hash: inputs.hash, deploymentId });
  return {
    async create(inputs: OneDeployInputs) {
      const { deploymentId } = await publish(inputs);
      return { id: `${inputs.scmUrl}#${inputs.hash}`, outs: outsOf(inputs, deploymentId) };
    },
    async diff(_id: string, olds: OneDeployInputs, news: OneDeployInputs) {
      // Only what is deployed counts: not the token, not where the zip happens to lie. An SCM
      // URL not known yet (a preview while the app itself changes) decides nothing: the engine
      // diffs again with the real value during the update, so an unchanged publish is never
      // planned as a replacement on an unknown.
      const unknownSite = news.scmUrl === UNKNOWN_INPUT;
      const movedSite = !unknownSite && olds.scmUrl !== news.scmUrl;
      const changed = olds.hash !== news.hash || movedSite;
      return { changes: changed, replaces: movedSite ? ["scmUrl"] : [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: OneDeployInputs, news: OneDeployInputs) {
      const { deploymentId } = await publish(news);
      return { outs: outsOf(news, deploymentId) };
    },
    async delete() {
      // The package lives and dies with the app and its deployment container.
    },
  };
}

/** A Function App's package, published through one deploy; re-published when the hash changes. */
export class OneDeploy extends pulumi.dynamic.Resource {
  declare readonly hash: pulumi.Output<string>;
  declare readonly deploymentId: pulumi.Output<string>;
  constructor(name: string, args: OneDeployArgs, opts?: pulumi.CustomResourceOptions, timings?: OneDeployTimings) {
    super(oneDeployProvider(timings), name, { deploymentId: undefined, ...args, token: pulumi.secret(args.token) }, { ...opts, additionalSecretOutputs: ["token"] });
  }
}
