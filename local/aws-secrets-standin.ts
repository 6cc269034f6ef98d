/**
 * STAND-IN, not an emulator: no local Secrets Manager exists here (no LocalStack, no moto).
 * This loopback responder answers the one call the users-api makes, `GetSecretValue`, in
 * the service's AWS JSON 1.1 protocol, so the real SDK client inside the real bundle sends
 * its real, signed request. It counts requests so tests can prove the key is fetched once
 * per instance. Protocol: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface SecretsStandIn {
  endpoint: string;
  /** The ARN the function is given in API_KEY_SECRET_ARN. */
  secretArn: string;
  /** GetSecretValue requests answered so far. */
  readonly getSecretValueCalls: number;
  /** Puts a new value in place, as a rotation makes it AWSCURRENT. */
  rotate(value: string): void;
  stop(): Promise<void>;
}

/**
 * `value` undefined: the secret exists with no value set, no AWSCURRENT version, as after
 * CreateSecret without SecretString or SecretBinary
 * (https://docs.aws.amazon.com/cli/latest/reference/secretsmanager/create-secret.html). That is
 * how Secrets Manager holds an "empty" secret: a SecretString has a minimum length of 1
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretValueEntry.html;
 * an empty one is refused: https://github.com/hashicorp/terraform-provider-aws/issues/19731).
 */
export async function startSecretsStandIn(secrets: { name: string; value: string | undefined; region?: string }): Promise<SecretsStandIn> {
  const region = secrets.region ?? "us-east-1";
  const secretArn = `arn:aws:secretsmanager:${region}:000000000000:secret:${secrets.name}-AbCdEf`;
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const target = req.headers["x-amz-target"];
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== "POST" || target !== "secretsmanager.GetSecretValue") {
        return reply(400, { __type: "UnknownOperationException", message: `stand-in answers GetSecretValue only, not ${target}` });
      }
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) {
        return reply(400, { __type: "MissingAuthenticationTokenException", message: "request is not SigV4-signed" });
      }
      calls++;
      const { SecretId } = JSON.parse(body || "{}") as { SecretId?: string };
      if (SecretId !== secretArn && SecretId !== secrets.name) {
        return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
      }
      if (secrets.value === undefined) {
        // GetSecretValue's answer for a secret with no value (https://github.com/boto/boto3/issues/2794).
        return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" });
      }
      reply(200, {
        ARN: secretArn,
        Name: secrets.name,
        SecretString: secrets.value,
        VersionId: "00000000-0000-4000-8000-000000000001",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: Math.floor(Date.now() / 1000),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    secretArn,
    get getSecretValueCalls() {
      return calls;
    },
    rotate(value) {
      secrets.value = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
