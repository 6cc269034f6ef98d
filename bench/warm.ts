/**
 * The warm request path in process: GET /users/{id} of a stored user against an in-memory
 * store, through parity's portable core (with the platform's event translation) and through
 * the hand-written baseline handler for the same platform. No network: this measures the code
 * between the event and the store, which is what the core adds.
 */
import { createLogger, createUsersApi, type User } from "../functions/core";
import { httpApiResultFromResponse, requestFromHttpApiEvent, type HttpApiEvent } from "../functions/aws/http-api";
import { createHandler as awsBaseline } from "./baselines/aws/users-api";
import { createHandler as workersBaseline } from "./baselines/cloudflare/users-api";
import type { BaselineDeps } from "./baselines/rules";
import { throughput } from "./measure";

export interface WarmPath {
  label: string;
  coreRate: number;
  rawRate: number;
  /** core / raw */
  ratio: number;
}

const API_KEY = "bench-key";
const user: User = { id: "0b7a3c1e-2f4d-4e5a-8b6c-7d8e9f0a1b2c", email: "ada@example.com", name: "Ada Lovelace", createdAt: "2026-11-30T00:00:00.000Z", welcomedAt: null };

function memoryDeps(): BaselineDeps {
  const users = new Map([[user.id, user]]);
  return {
    get: async (id) => users.get(id),
    create: async (u) => (users.has(u.id) ? false : (users.set(u.id, u), true)),
    publish: async () => undefined,
    apiKey: async () => API_KEY,
  };
}

function coreApi() {
  const deps = memoryDeps();
  return createUsersApi({
    store: { get: deps.get, create: async (u) => void (await deps.create(u)), markWelcomed: async () => "not-found" },
    publisher: { publish: async () => undefined },
    apiKey: deps.apiKey,
    // The core logs one line per request; the sink drops it, so its cost is the JSON, not the I/O.
    logger: createLogger({ platform: "bench", function: "users-api" }, { sink: () => undefined }),
  });
}

function httpApiEvent(): HttpApiEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: `/users/${user.id}`,
    rawQueryString: "",
    headers: { host: "api.example.com", "x-api-key": API_KEY, accept: "application/json" },
    requestContext: {
      accountId: "000000000000",
      apiId: "bench",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method: "GET", path: `/users/${user.id}`, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench",
      routeKey: "$default",
      stage: "$default",
      time: "30/Nov/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

/** Both sides of each path, alternated in rounds so neither gets the warmer machine. */
async function compare(label: string, core: () => Promise<unknown>, raw: () => Promise<unknown>, durationMs: number): Promise<WarmPath> {
  // Warm both (JIT) and check they answer the same status before timing anything.
  for (let i = 0; i < 2_000; i++) {
    await core();
    await raw();
  }
  const rounds = 5;
  let coreCount = { requests: 0, ms: 0 };
  let rawCount = { requests: 0, ms: 0 };
  for (let round = 0; round < rounds; round++) {
    const c = await throughput(core, durationMs / rounds / 2);
    const r = await throughput(raw, durationMs / rounds / 2);
    coreCount = { requests: coreCount.requests + c.requests, ms: coreCount.ms + c.ms };
    rawCount = { requests: rawCount.requests + r.requests, ms: rawCount.ms + r.ms };
  }
  const coreRate = (coreCount.requests / coreCount.ms) * 1000;
  const rawRate = (rawCount.requests / rawCount.ms) * 1000;
  return { label, coreRate, rawRate, ratio: coreRate / rawRate };
}

async function expectUser(status: number, body: string, label: string): Promise<void> {
  if (status !== 200 || (JSON.parse(body) as User).id !== user.id) throw new Error(`${label} did not answer the stored user (${status} ${body.slice(0, 200)})`);
}

export async function warmPaths(durationMs: number): Promise<WarmPath[]> {
  const api = coreApi();
  const workersRaw = workersBaseline(memoryDeps());
  const url = `https://api.example.com/users/${user.id}`;
  const webRequest = () => new Request(url, { headers: { "x-api-key": API_KEY } });
  const webCore = async () => (await api.fetch(webRequest())).text();
  const webRaw = async () => (await workersRaw(webRequest())).text();

  const awsRaw = awsBaseline(memoryDeps());
  const awsCore = async () => httpApiResultFromResponse(await api.fetch(requestFromHttpApiEvent(httpApiEvent())));
  const awsRawCall = () => awsRaw(httpApiEvent());

  // The two sides must do the same work: both answer the stored user.
  const coreAnswer = await api.fetch(webRequest());
  await expectUser(coreAnswer.status, await coreAnswer.text(), "the core");
  const rawAnswer = await workersRaw(webRequest());
  await expectUser(rawAnswer.status, await rawAnswer.text(), "the Workers baseline");
  const awsCoreAnswer = await awsCore();
  await expectUser(awsCoreAnswer.statusCode, awsCoreAnswer.body, "the AWS driver");
  const awsRawAnswer = await awsRawCall();
  await expectUser(awsRawAnswer.statusCode, awsRawAnswer.body, "the AWS baseline");

  return [
    await compare("web Request → Response (Workers shape)", webCore, webRaw, durationMs),
    await compare("API Gateway 2.0 event → result (AWS shape)", awsCore, awsRawCall, durationMs),
  ];
}
