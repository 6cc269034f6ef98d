/**
 * The Azure local cloud end to end: real bundles behind a loopback HTTP server, Azurite,
 * and the host-like delivery loop (batchSize, maxDequeueCount, `<queue>-poison`).
 */
import assert from "node:assert/strict";
import { azuriteScript } from "../../local/emulators/azurite";
import { startAzureLocal, type AzureLocal } from "../../local/azure";
import { encodeQueueMessage } from "../../functions/azure/publisher";

const API_KEY = "azure-local-key-0123456789";
const MAX_ATTEMPTS = 2;

(azuriteScript() ? describe : describe.skip)("azure local cloud (Azurite + delivery loop)", function () {
  this.timeout(30_000);
  let local: AzureLocal;

  before(async () => {
    local = await startAzureLocal({
      apiKey: API_KEY,
      settings: {
        "users-api": { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 10, warmInstances: 0 },
        "queue-worker": { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5, warmInstances: 0, batchSize: 4, maxAttempts: MAX_ATTEMPTS },
      },
    }, { logLevel: "error" });
  });
  after(async () => {
    await local?.stop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${local.url}${path}`, { ...init, headers: { "x-api-key": API_KEY, "content-type": "application/json", ...init.headers } });

  async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it("serves users-api over real HTTP on 127.0.0.1 and welcomes a new user through the queue by itself", async () => {
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${local.url}/health`)).status, 200);
    const created = await api("/users", { method: "POST", body: JSON.stringify({ email: `local${Date.now()}@example.com`, name: "Local" }) });
    assert.equal(created.status, 201);
    const user = (await created.json()) as { id: string };
    const welcomedAt = await until(async () => {
      const body = (await (await api(`/users/${user.id}`)).json()) as { welcomedAt: string | null };
      return body.welcomedAt ?? undefined;
    }, "the worker to welcome the user");
    assert.ok(!Number.isNaN(Date.parse(welcomedAt)));
    await until(async () => ((await local.queueDepth()).pending === 0 ? true : undefined), "an empty queue");
  });

  it("a redelivered event welcomes once and is not dead-lettered", async () => {
    const created = await api("/users", { method: "POST", body: JSON.stringify({ email: `again${Date.now()}@example.com`, name: "Again" }) });
    const user = (await created.json()) as { id: string; email: string };
    const first = await until(async () => ((await (await api(`/users/${user.id}`)).json()) as { welcomedAt: string | null }).welcomedAt ?? undefined, "welcome");
    const duplicate = { type: "user.created", eventId: "dup-1", userId: user.id, email: user.email, occurredAt: new Date().toISOString() };
    await local.storage.eventsQueue.sendMessage(encodeQueueMessage(JSON.stringify(duplicate)));
    await until(async () => ((await local.queueDepth()).pending === 0 ? true : undefined), "the duplicate to be consumed");
    const after = (await (await api(`/users/${user.id}`)).json()) as { welcomedAt: string };
    assert.equal(after.welcomedAt, first);
    assert.equal((await local.queueDepth()).deadLettered, 0);
  });

  it(`failing messages (poison, unknown user) move to <queue>-poison unchanged once dequeueCount reaches maxAttempts (${MAX_ATTEMPTS})`, async () => {
    const poison = encodeQueueMessage("{not json");
    const ghost = encodeQueueMessage(JSON.stringify({ type: "user.created", eventId: "ghost", userId: "00000000-0000-4000-8000-00000000dead", email: "g@example.com", occurredAt: new Date().toISOString() }));
    await local.storage.eventsQueue.sendMessage(poison);
    await local.storage.eventsQueue.sendMessage(ghost);
    await until(async () => ((await local.queueDepth()).deadLettered === 2 ? true : undefined), "both messages in the poison queue");
    const { peekedMessageItems } = await local.storage.poisonQueue.peekMessages({ numberOfMessages: 32 });
    assert.deepEqual(peekedMessageItems.map((m) => m.messageText).sort(), [poison, ghost].sort());
    assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 2 });
  });
});

if (!azuriteScript()) {
  if (process.env.CI === "true") throw new Error("azurite is not installed; the Azure local-cloud tests cannot run under CI=true");
  console.warn("\n*** Azure local cloud tests SKIPPED: azurite is not installed ***\n");
}
