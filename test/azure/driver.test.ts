/** Azure driver specifics that the conformance suite cannot see: how the clients authenticate. */
import assert from "node:assert/strict";
import { eventsQueueClient, encodeQueueMessage, decodeQueueMessage } from "../../functions/azure/publisher";
import { usersTableClient } from "../../functions/azure/store";

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
