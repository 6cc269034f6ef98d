/**
 * Azure driver specifics that the conformance suite cannot see: how the clients authenticate,
 * how long a publish to a dead queue may take, and an unresolved Key Vault reference.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { eventsQueueClient, encodeQueueMessage, decodeQueueMessage, createQueuePublisher, PUBLISH_RETRY } from "../../functions/azure/publisher";
import { createTableUserStore, STORE_RETRY, usersTableClient } from "../../functions/azure/store";
import { storeTimeoutMs } from "../../functions/azure/contract";
import { httpHandler } from "../../functions/azure/driver";
import usersApi, { apiKeyFromSettings } from "../../functions/azure/users-api";

/** users-api as the host calls it: parity's fetch handler through the generic driver's adapter. */
const usersApiHandler = httpHandler("users-api", usersApi);
import { StoreDeadlineError, userCreatedEvent } from "../../functions/core";
import { freePort } from "../../local/emulators/loopback";

describe("azure driver: storage connections", () => {
  const deployed = {
    USERS_TABLE: "users",
    EVENTS_QUEUE: "user-events",
    PARITY_STORAGE__tableServiceUri: "https://acct.table.core.windows.net/",
    PARITY_STORAGE__queueServiceUri: "https://acct.queue.core.windows.net/",
  };

  it("deployed (no connection string): identity-based clients on the service URIs the component sets", () => {
    const table = usersTableClient(deployed);
    assert.equal(table.url, "https://acct.table.core.windows.net");
    assert.equal(table.tableName, "users");
    const queue = eventsQueueClient(deployed);
    assert.equal(queue.url, "https://acct.queue.core.windows.net/user-events");
    assert.equal(queue.accountName, "acct");
  });

  it("falls back to the public-cloud URIs of PARITY_STORAGE__accountName", () => {
    const env = { USERS_TABLE: "users", EVENTS_QUEUE: "q", PARITY_STORAGE__accountName: "other" };
    assert.equal(usersTableClient(env).url, "https://other.table.core.windows.net");
    assert.equal(eventsQueueClient(env).url, "https://other.queue.core.windows.net/q");
  });

  it("a missing setting is an error that names it", () => {
    assert.throws(() => usersTableClient({ PARITY_STORAGE__accountName: "a" }), /USERS_TABLE is not set/);
    assert.throws(() => eventsQueueClient({ EVENTS_QUEUE: "q" }), /PARITY_STORAGE__accountName is not set/);
  });

  it("queue messages are base64, as the queue trigger decodes them by default", () => {
    const text = JSON.stringify({ type: "user.created", name: "Zoë ✓" });
    const encoded = encodeQueueMessage(text);
    assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(decodeQueueMessage(encoded), text);
  });
});

describe("azure driver: publishing to a queue that is down", () => {
  it("fails with ECONNREFUSED (its tries are counted below, not timed)", async () => {
    // A free loopback port: nothing listens there.
    const port = await freePort();
    // A SAS connection string: no account key needed to be refused.
    const connection = `QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;SharedAccessSignature=sv=2023-11-03&sig=unused`;
    const publisher = createQueuePublisher(async () => eventsQueueClient({ EVENTS_QUEUE: "q", PARITY_STORAGE_CONNECTION_STRING: connection }));
    // How many tries it takes is counted below, against a server that answers; here only that a refused port rejects.
    await assert.rejects(publisher.publish(userCreatedEvent({ id: "u1", createdAt: new Date().toISOString() })), /ECONNREFUSED/);
  });
});

/**
 * The retry bounds counted, not timed (issue 30: a limit that doubled still finished within the
 * time a test allowed). A loopback server counts the requests it is sent and answers each with
 * 503, which both SDKs retry (core-rest-pipeline's exponential retry policy and
 * @azure/storage-common's StorageRetryPolicy retry every 5xx except 501 and 505).
 */
describe("azure driver: the SDKs' tries, counted by a server that answers 503", () => {
  let server: http.Server;
  let requests: string[] = [];
  let port: number;
  before(async () => {
    server = http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      request.resume();
      request.on("end", () => response.writeHead(503, { "content-type": "application/xml" }).end("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>busy</Message></Error>"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  beforeEach(() => void (requests = []));
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a publish sends PUBLISH_RETRY.maxTries (2) requests, then fails with the 503", async () => {
    const connection = `QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;SharedAccessSignature=sv=2023-11-03&sig=unused`;
    const publisher = createQueuePublisher(async () => eventsQueueClient({ EVENTS_QUEUE: "q", PARITY_STORAGE_CONNECTION_STRING: connection }));
    await assert.rejects(publisher.publish(userCreatedEvent({ id: "u1", createdAt: new Date().toISOString() })), (error: { statusCode?: number }) => error.statusCode === 503);
    assert.equal(PUBLISH_RETRY.maxTries, 2);
    assert.deepEqual(requests.map((r) => r.split("?")[0]), ["POST /devstoreaccount1/q/messages", "POST /devstoreaccount1/q/messages"]);
  });

  it("a store call sends 1 + STORE_RETRY.maxRetries (3) requests, then fails with the 503", async () => {
    const connection = `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;SharedAccessSignature=sv=2023-11-03&sig=unused`;
    // No store deadline: the retry policy alone ends the call.
    const store = createTableUserStore(async () => usersTableClient({ USERS_TABLE: "users", PARITY_STORAGE_CONNECTION_STRING: connection }), { timeoutMs: 0 });
    await assert.rejects(store.get("00000000-0000-4000-8000-000000000000"), (error: { statusCode?: number }) => error.statusCode === 503);
    assert.equal(STORE_RETRY.maxRetries, 2);
    assert.equal(requests.length, 3, requests.join("\n"));
    assert.ok(requests.every((r) => r.startsWith("GET /devstoreaccount1/users(")), requests.join("\n"));
  });
});

describe("azure driver: a users table that accepts and never answers", () => {
  // A loopback server that takes each connection and sends nothing: no try fails, so STORE_RETRY
  // alone never ends a call; only the store deadline does. It counts the connections and requests
  // it gets, so what the deadline leaves behind is counted, not timed.
  let silent: net.Server;
  const held: net.Socket[] = [];
  /** Request lines received ("GET /devstoreaccount1/users(…) HTTP/1.1"), in order; a batch's inner requests (absolute URLs in its body) are not counted. */
  const requestLines: string[] = [];
  let connections = 0;
  let connection: string;
  before(async () => {
    silent = net.createServer((socket) => {
      held.push(socket);
      connections++;
      socket.on("data", (chunk) => {
        for (const line of chunk.toString("latin1").split("\r\n")) if (/^[A-Z]+ \/\S* HTTP\/1\.1$/.test(line)) requestLines.push(line);
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    connection = `TableEndpoint=http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/devstoreaccount1;SharedAccessSignature=sv=2023-11-03&sig=unused`;
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("every store operation gives up at STORE_TIMEOUT_MS with a StoreDeadlineError naming it, the SDK's abort as its cause", async () => {
    const env = { USERS_TABLE: "users", PARITY_STORAGE_CONNECTION_STRING: connection, STORE_TIMEOUT_MS: "200" };
    const store = createTableUserStore(async () => usersTableClient(env), { timeoutMs: storeTimeoutMs(env) });
    const id = "00000000-0000-4000-8000-000000000000";
    const user = { id, email: "ada@example.com", name: "Ada", createdAt: new Date().toISOString(), welcomedAt: null };
    const operations: Array<[string, () => Promise<unknown>]> = [
      ["get", () => store.get(id)],
      ["create", () => store.create(user)],
      ["markWelcomed", () => store.markWelcomed(id, new Date().toISOString())],
      ["listPending", () => store.listPending({ createdBefore: new Date().toISOString(), limit: 10 })],
      ["claimRepublish", () => store.claimRepublish(id, new Date().toISOString(), new Date().toISOString())],
    ];
    for (const [operation, run] of operations) {
      const started = Date.now();
      const sentBefore = requestLines.length;
      const connectionsBefore = connections;
      await assert.rejects(run(), (error: Error) => {
        assert.ok(error instanceof StoreDeadlineError, `${operation}: ${error}`);
        assert.equal(error.message, `Azure Table ${operation} did not finish within 200 ms (STORE_TIMEOUT_MS)`);
        assert.equal((error.cause as Error).name, "AbortError");
        return true;
      });
      // Not before the deadline (a busy machine only delays a timer, never advances it). No upper
      // bound by time: the silent server never answers, so only the deadline can end the call.
      const elapsedMs = Date.now() - started;
      assert.ok(elapsedMs >= 190, `${operation} gave up after ${elapsedMs} ms`);
      // Counted: one try at most, none after the abort. STORE_RETRY would try again within its
      // maxRetryDelayInMs; a loaded machine can only make this wait miss a late try, never invent one.
      // (At most, not exactly, one: on a loaded machine the deadline can fire before the request is written.)
      await new Promise((resolve) => setTimeout(resolve, STORE_RETRY.maxRetryDelayInMs));
      assert.ok(connections - connectionsBefore <= 1, `${operation} opened ${connections - connectionsBefore} connections`);
      assert.ok(requestLines.length - sentBefore <= 1, `${operation} sent: ${requestLines.slice(sentBefore).join(" | ")}`);
    }
    // The calls did reach the server: what ended them was the deadline, not a refused connection.
    assert.ok(connections >= 1, "no connection reached the silent server");
  });
});

describe("azure driver: users-api with an unresolved Key Vault reference", () => {
  const reference = "@Microsoft.KeyVault(SecretUri=https://kv-parity.vault.azure.net/secrets/api-key/)";
  const saved = { ...process.env };
  const errors: string[] = [];
  const consoleError = console.error;
  before(() => {
    Object.assign(process.env, { USERS_TABLE: "users", EVENTS_QUEUE: "user-events", PARITY_STORAGE__accountName: "acct", API_KEY: reference });
    console.error = (line: unknown) => void errors.push(String(line));
  });
  after(() => {
    console.error = consoleError;
    for (const name of ["USERS_TABLE", "EVENTS_QUEUE", "PARITY_STORAGE__accountName", "API_KEY"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  const call = async (method: string, path: string, key: string | undefined, body?: string) => {
    const request = new HttpRequest({
      method,
      url: `https://parity-users-api.azurewebsites.net${path}`,
      headers: { ...(key === undefined ? {} : { "x-api-key": key }), "content-type": "application/json" },
      body: body === undefined ? undefined : { string: body },
    });
    const response = await usersApiHandler(request, new InvocationContext({ invocationId: "inv-kv", functionName: "users-api" }));
    return { status: response.status, body: JSON.parse(Buffer.from(response.body as Uint8Array).toString("utf8") || "null") };
  };

  it("every keyed route answers 500 internal_error, even to a key equal to the reference text, and logs the cause at error level", async () => {
    const keyed = [
      ["POST", "/users", JSON.stringify({ email: "kv@example.com", name: "KV" })],
      ["GET", "/users/00000000-0000-4000-8000-000000000001", undefined],
    ] as const;
    for (const [method, path, body] of keyed) {
      for (const key of [reference, "any-presented-key"]) {
        errors.length = 0;
        const response = await call(method, path, key, body);
        assert.equal(response.status, 500, `${method} ${path}`);
        assert.equal(response.body.error.code, "internal_error");
        assert.doesNotMatch(JSON.stringify(response.body), /KeyVault/, "the response does not leak the setting");
        const logged = errors.map((line) => JSON.parse(line));
        assert.ok(
          logged.some((record) => record.level === "error" && /unresolved Key Vault reference/.test(JSON.stringify(record))),
          `an error-level line names the cause: ${errors.join("\n")}`,
        );
      }
    }
  });

  it("routes without a key are unaffected: /health answers 200", async () => {
    assert.equal((await call("GET", "/health", undefined)).status, 200);
  });

  it("a resolved key is returned as it is; a missing one names the setting", () => {
    assert.equal(apiKeyFromSettings({ API_KEY: "resolved-secret-value" }), "resolved-secret-value");
    assert.throws(() => apiKeyFromSettings({ API_KEY: `  ${reference}` }), /unresolved Key Vault reference/);
    assert.throws(() => apiKeyFromSettings({}), /API_KEY is not set/);
  });
});
