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
 * Kudu's deployment status (`status` in `/api/deployments/<id>`): Pending 0, Building 1,
 * Deploying 2, Failed 3, Success 4, Complete 5.
 * https://github.com/projectkudu/kudu/blob/master/Kudu.Contracts/Deployment/DeployStatus.cs
 * The Azure CLI fails a Flex deployment on 3 and finishes on 4 (`_check_zip_deployment_status`).
 */
export const deployStatus = { failed: 3, success: 4, complete: 5 } as const;

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
export function oneDeployProvider(timings: OneDeployTimings = defaultOneDeployTimings): pulumi.dynamic.ResourceProvider {
  const publish = async (inputs: OneDeployInputs): Promise<{ deploymentId: string }> => {
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    if (!inputs.token) throw new Error("one deploy needs a Microsoft Entra token for the SCM site; none was given.");
    const headers = { authorization: `Bearer ${inputs.token}` };
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
        headers: { ...headers, "content-type": "application/zip", "cache-control": "no-cache" },
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
    for (;;) {
      const poll = await fetch(statusUrl, { headers });
      const body = (await poll.json().catch(() => ({}))) as { id?: string; status?: number; complete?: boolean; status_text?: string; log_url?: string };
      if (body.status === 3) {
        throw new Error(`one deploy to ${inputs.scmUrl} failed: ${body.status_text || "no status text"}${body.log_url ? ` (log: ${body.log_url})` : ""}`);
      }
      if (body.status === 4 || body.status === 5) return { deploymentId: body.id ?? "latest" };
      if (body.complete === true) throw new Error(`one deploy to ${inputs.scmUrl} completed with status ${body.status}: ${body.status_text || "no status text"}`);
      if (Date.now() - started >= timings.timeoutMs) throw new Error(`one deploy to ${inputs.scmUrl} did not complete within ${Math.round(timings.timeoutMs / 1000)} s (last status ${body.status ?? "unknown"}).`);
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
      // Only what is deployed counts: not the token, not where the zip happens to lie.
      const changed = olds.hash !== news.hash || olds.scmUrl !== news.scmUrl;
      return { changes: changed, replaces: olds.scmUrl !== news.scmUrl ? ["scmUrl"] : [], deleteBeforeReplace: false };
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
