/**
 * The Azure local cloud end to end: real bundles in their hosts behind the loopback front,
 * Azurite, and the host-like delivery loop (batchSize, maxDequeueCount, `<queue>-poison`);
 * and a second catalog through the same launcher.
 */
import assert from "node:assert/strict";
import { deploymentsFor } from "../../components/bundle";
import { parseStackConfig } from "../../components/config";
import { azuriteScript } from "../../local/emulators/azurite";
import { launchers } from "../../local/launchers";
import { assertNcrontab, azureScheduleSettings, azureTimer, startAzureLocal, type AzureLocalPlatform } from "../../local/azure";
import { encodeQueueMessage } from "../../functions/azure/publisher";
import { helloCatalog, helloAnswer } from "../fixtures/hello/catalog";
import { describePendingIndexStore } from "./store-cases";
import { azureTestFunctions } from "./target";

const API_KEY = "azure-local-key-0123456789";
const MAX_ATTEMPTS = 2;

(azuriteScript() ? describe : describe.skip)("azure local cloud (Azurite + delivery loop)", function () {
  this.timeout(90_000);
  let local: AzureLocalPlatform;
  const functionLogs: [string, string][] = [];

  before(async () => {
    const { functions } = azureTestFunctions({ "queue-worker": { batchSize: 4, maxAttempts: MAX_ATTEMPTS } });
    local = await startAzureLocal({ apiKey: API_KEY, functions: Object.values(functions), onFunctionLog: (name, line) => functionLogs.push([name, line]) });
  });
  after(async () => {
    await local?.stop();
  });

  describePendingIndexStore(() => local.backends.azurite.connectionString);

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

  it("plans with the deploy's rules: host.json's batch size and dequeue count drive the listener", () => {
    assert.equal(local.platform, "azure");
    const { hostId, ...worker } = local.nativeSettings["queue-worker"];
    assert.match(String(hostId), /^queue-worker-[0-9a-f]{8}$/, "the host id the deploy sets (components/azure/rules.ts hostIdFor)");
    assert.deepEqual(worker, {
      instanceMemoryMB: 512,
      maximumInstanceCount: 5,
      functionTimeout: "00:00:30",
      batchSize: 4,
      maxDequeueCount: MAX_ATTEMPTS,
      logRetentionDays: 30,
    });
    assert.equal(local.nativeSettings["users-api"].httpPerInstanceConcurrency, 1);
    assert.deepEqual(local.warnings.map((w) => [w.function, w.setting]).sort(), [["*", "logRetentionDays"], ["queue-worker", "batchSize"], ["queue-worker", "memoryMb"], ["reconciler", "memoryMb"], ["reconciler", "users.listPending"], ["users-api", "memoryMb"]]);
  });

  it("schedules the reconciler from its 6-field NCRONTAB app setting, clock-aligned in UTC", () => {
    assert.deepEqual(Object.keys(local.schedules), ["reconciler"]);
    const schedule = local.schedules.reconciler;
    assert.equal(schedule.expression, "0 */5 * * * *");
    assert.deepEqual(schedule.next(3, new Date("2026-11-30T10:02:30Z")), ["2026-11-30T10:05:00.000Z", "2026-11-30T10:10:00.000Z", "2026-11-30T10:15:00.000Z"]);
  });

  it("a tick invokes the reconciler's bundle with a Timer; every line it writes reaches onFunctionLog", async () => {
    const scheduledTime = new Date();
    await local.schedules.reconciler.fireNow(scheduledTime);
    await fetch(`${local.url}/health`);
    // The host's stdout is read line by line: wait for the lines, not for a fixed time.
    // Only parity's JSON lines: with HTTP streaming on, @azure/functions also prints its own
    // "HTTP streaming enabled." (a worker system log the real host keeps out of function logs).
    const linesOf = (fn: string) => functionLogs.filter(([name, line]) => name === fn && line.startsWith("{")).map(([, line]) => JSON.parse(line));
    // A real tick of the 5-minute schedule may land while the suite runs: take this run's lines by its time.
    const firedNow = () => linesOf("reconciler").find((record) => record.message === "timer fired" && record.scheduleStatus?.next === scheduledTime.toISOString());
    const reportOf = (requestId: string) => linesOf("reconciler").find((record) => record.message === "reconciled" && record.requestId === requestId);
    await until(async () => {
      const firedRecord = firedNow();
      return firedRecord && reportOf(firedRecord.requestId) && linesOf("users-api").length > 0 ? true : undefined;
    }, "the log lines");
    const fired = firedNow();
    assert.ok(fired, "the handler logged the Timer it was given");
    assert.deepEqual(fired.scheduleStatus, { last: new Date(scheduledTime.getTime() - 5 * 60_000).toISOString(), next: scheduledTime.toISOString(), lastUpdated: new Date(scheduledTime.getTime() - 5 * 60_000).toISOString() });
    assert.equal(fired.isPastDue, false);
    const report = reportOf(fired.requestId);
    assert.ok(report, "the run reported");
    assert.equal(report.errors, 0);
  });

  it("sets the reconciler's app settings as the component does: schedule, grace twice the interval, time budget", () => {
    const { functions } = azureTestFunctions();
    assert.deepEqual(azureScheduleSettings(functions.reconciler), {
      RECONCILE_SCHEDULE: "0 */5 * * * *",
      RECONCILE_GRACE_SECONDS: "600",
      RECONCILE_TIME_BUDGET_SECONDS: "48",
    });
    const hourly = azureTestFunctions({ reconciler: { everyMinutes: 120 } }).functions.reconciler;
    assert.equal(azureScheduleSettings(hourly).RECONCILE_SCHEDULE, "0 0 */2 * * *");
  });

  it("refuses a 5-field expression: it would run locally and never fire on Azure", () => {
    assert.throws(() => assertNcrontab("*/5 * * * *"), /6 fields, seconds first/);
    assert.doesNotThrow(() => assertNcrontab("0 */5 * * * *"));
  });

  it("a tick a second or more late is past due, as the host reports a missed occurrence", () => {
    const scheduled = new Date("2026-11-30T10:05:00Z");
    assert.equal(azureTimer(scheduled, 5, new Date("2026-11-30T10:05:00.999Z")).isPastDue, false);
    assert.equal(azureTimer(scheduled, 5, new Date("2026-11-30T10:05:01.001Z")).isPastDue, true);
  });

  it("serves users-api over real HTTP on 127.0.0.1 and welcomes a new user through the queue by itself", async () => {
    assert.match(local.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
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
    await local.backends.eventsQueue.sendMessage(encodeQueueMessage(JSON.stringify(duplicate)));
    await until(async () => ((await local.queueDepth()).pending === 0 ? true : undefined), "the duplicate to be consumed");
    const after = (await (await api(`/users/${user.id}`)).json()) as { welcomedAt: string };
    assert.equal(after.welcomedAt, first);
    assert.equal((await local.queueDepth()).deadLettered, 0);
  });

  it(`failing messages (poison, unknown user) move to <queue>-poison unchanged once dequeueCount reaches maxAttempts (${MAX_ATTEMPTS})`, async () => {
    const poison = encodeQueueMessage("{not json");
    const ghost = encodeQueueMessage(JSON.stringify({ type: "user.created", eventId: "ghost", userId: "00000000-0000-4000-8000-00000000dead", email: "g@example.com", occurredAt: new Date().toISOString() }));
    await local.backends.eventsQueue.sendMessage(poison);
    await local.backends.eventsQueue.sendMessage(ghost);
    await until(async () => ((await local.queueDepth()).deadLettered === 2 ? true : undefined), "both messages in the poison queue");
    const { peekedMessageItems } = await local.backends.poisonQueue.peekMessages({ numberOfMessages: 32 });
    assert.deepEqual(peekedMessageItems.map((m) => m.messageText).sort(), [poison, ghost].sort());
    assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 2 });
  });

  it("restart() replaces the hosts behind the same URL; the data stays", async () => {
    const created = await api("/users", { method: "POST", body: JSON.stringify({ email: `restart${Date.now()}@example.com`, name: "Restart" }) });
    const user = (await created.json()) as { id: string };
    const url = local.url;
    await local.restart!();
    assert.equal(local.url, url);
    const again = await api(`/users/${user.id}`);
    assert.equal(again.status, 200);
  });

  it("gives each function only the settings its capabilities bring", () => {
    const worker = local.backends.environmentFor(["events.consume", "users.update"]);
    assert.equal(worker.API_KEY, undefined);
    assert.equal(worker.USERS_TABLE, "users");
    assert.equal(worker.EVENTS_QUEUE, "user-events");
    assert.equal(local.backends.environmentFor([]).USERS_TABLE, undefined);
    assert.equal(local.backends.environmentFor(["apiKey.read"]).API_KEY, API_KEY);
  });
});

(azuriteScript() ? describe : describe.skip)("azure local cloud: a second catalog (hello)", function () {
  this.timeout(90_000);

  it("serves any catalog's HTTP function through the launcher table; no queue function, no listener", async () => {
    const config = parseStackConfig({ platforms: ["azure"], apiKey: API_KEY }, "test");
    const launch = await launchers.azure();
    const local = await launch({ apiKey: API_KEY, functions: deploymentsFor(config, "azure", helloCatalog) });
    try {
      const response = await fetch(`${local.url}/greet`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), helloAnswer("/greet"));
      assert.deepEqual(Object.keys(local.nativeSettings), ["hello"]);
      assert.deepEqual(await local.queueDepth(), { pending: 0, deadLettered: 0 });
    } finally {
      await local.stop();
    }
  });
});

if (!azuriteScript()) {
  if (process.env.CI === "true") throw new Error("azurite is not installed; the Azure local-cloud tests cannot run under CI=true");
  console.warn("\n*** Azure local cloud tests SKIPPED: azurite is not installed ***\n");
}
