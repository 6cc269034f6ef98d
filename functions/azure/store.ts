/**
 * UserStore and PendingUserStore on Azure Table Storage.
 *
 * Email uniqueness is enforced by the service: a user is written as two entities, the
 * user (`RowKey user:<id>`) and an email claim (`RowKey email:<email>`), in ONE entity
 * group transaction. Inserting an existing RowKey fails the whole transaction with 409,
 * so two racing creates can never both succeed and a failed create leaves nothing behind.
 * Entity group transactions need one PartitionKey, hence one partition for all users;
 * its scalability target is 2,000 entities/s
 * (https://learn.microsoft.com/azure/storage/tables/scalability-targets), far above
 * what this API is asked to do.
 *
 * The pending index is a third entity in that same partition, `RowKey pending:<createdAt>:<id>`,
 * inserted by the create transaction and deleted by the welcome transaction (the user's
 * ETag-conditional update and the delete are one entity group transaction), so it exists
 * exactly while the user is unwelcomed, at no extra round trip. A transaction holds at most
 * 100 entities, under 4 MiB, each entity once (scalability-targets above); create uses 3,
 * welcome and claim 2.
 *
 * `listPending` is a range query: `PartitionKey eq 'users' and RowKey ge 'pending:' and
 * RowKey lt 'pending:<cutoff>'`. PartitionKey + RowKey is the table's only index (one
 * clustered index); a filter on one partition and a RowKey range is a "range query", the
 * most efficient query after a point query, and reads only the pending entities older than
 * the cutoff, oldest first (RowKey order). A RowKey filter WITHOUT the PartitionKey would be a
 * table scan ("regardless of whether or not your filter uses the RowKey"):
 * https://learn.microsoft.com/azure/storage/tables/table-storage-design-for-query.
 */
import { createHash } from "node:crypto";
import { odata, RestError, TableClient, type TableEntityResult, type TransactionAction } from "@azure/data-tables";
import { EmailTakenError, StoreDeadlineError, type PendingUser, type PendingUserStore, type User, type UserStore, type WelcomeResult } from "../core";
import { azureEnv, requireSetting, storeTimeoutMs, type Env } from "./contract";
import { managedIdentity, serviceUri } from "./storage";

/**
 * The users table answers or fails within about a second: a store outage is a 500 the caller can
 * retry, not a request held until the function's timeout. The SDK's default (3 retries, 4 s
 * exponential delay) held a request about 5 s per call against a refused port (measured); here
 * worst case 3 tries with 100–500 ms between them. A table that accepts the connection but answers
 * slowly is not bounded by this (no try fails): the store deadline below is.
 */
export const STORE_RETRY = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 } as const;

/** The users table: Azurite by connection string locally, the managed identity in Azure. */
export function usersTableClient(env: Env = process.env): TableClient {
  const table = requireSetting(env, azureEnv.usersTable);
  const local = env[azureEnv.localConnectionString];
  if (local) return TableClient.fromConnectionString(local, table, { allowInsecureConnection: true, retryOptions: STORE_RETRY });
  return new TableClient(serviceUri(env, "table"), table, managedIdentity(env), { retryOptions: STORE_RETRY });
}

export const USERS_PARTITION = "users";
const MAX_WELCOME_ATTEMPTS = 5;

type UserEntity = {
  partitionKey: string;
  rowKey: string;
  id: string;
  email: string;
  name: string;
  createdAt: string;
  /** Absent until the worker welcomes the user (Table Storage has no null). */
  welcomedAt?: string;
  /** The RowKey of the user's pending index entity; it exists while `welcomedAt` is absent. */
  pendingIndexKey?: string;
  /** Reconciler claims so far, and the last one (both absent until the first claim). */
  republishCount?: number;
  lastRepublishAt?: string;
};

/** The pending index entity: what `listPending` returns, so the query reads nothing else. */
type PendingIndexEntity = {
  partitionKey: string;
  rowKey: string;
  id: string;
  email: string;
  createdAt: string;
  republishCount?: number;
  lastRepublishAt?: string;
};

export const userRowKey = (id: string) => `user:${id}`;
/**
 * A RowKey is at most 1 KiB and may not hold / \ # ? or control characters
 * (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#characters-disallowed-in-key-fields);
 * keys are stored as UTF-16, 2 bytes a character (the entity size formula:
 * https://learn.microsoft.com/archive/blogs/avkashchauhan/how-the-size-of-an-entity-is-caclulated-in-windows-azure-table-storage),
 * so 512 characters. Azurite counts 1,024 characters (azurite 3.35 TableHandler.validateKey), so
 * keys of 513 to 1,024 characters pass locally and fail deployed.
 */
export const MAX_ROW_KEY_CHARS = 512;

/**
 * The email claim's RowKey: `email:` and the URI-encoded address (encodeURIComponent percent-encodes
 * the UTF-8 bytes two hex digits each, and removes every disallowed character: injective), as
 * deployed tables already hold it. An address the validator accepts (254 UTF-8 octets) encodes to
 * up to 768 characters, past the limit, so an encoding longer than MAX_ROW_KEY_CHARS is replaced by
 * `emailsha256:` and the SHA-256 of the address in hex (76 characters). Still one key per address:
 * which form an address gets depends on the address alone, the two prefixes never produce the same
 * key, and SHA-256 has no known collision. Keys over the limit never existed deployed (the service
 * refused them with 400), so no stored claim changes form.
 */
export function emailRowKey(email: string): string {
  const encoded = `email:${encodeURIComponent(email)}`;
  return encoded.length <= MAX_ROW_KEY_CHARS ? encoded : `emailsha256:${createHash("sha256").update(email, "utf8").digest("hex")}`;
}
/**
 * Ordered by creation time: `createdAt` is a fixed-width UTC ISO-8601 string (toISOString), so
 * RowKey order is time order and the cutoff is a RowKey bound. `:` and `.` are allowed in keys.
 */
export const PENDING_PREFIX = "pending:";
export const pendingRowKey = (createdAt: string, id: string) => `${PENDING_PREFIX}${createdAt}:${id}`;
/**
 * One Query Entities response holds at most 1,000 entities; it may hold fewer (5 s of query
 * time, a partition boundary) and still carry a continuation token
 * (https://learn.microsoft.com/rest/api/storageservices/query-timeout-and-pagination).
 */
export const MAX_QUERY_PAGE = 1000;
const MAX_CLAIM_ATTEMPTS = 3;

/** What each SDK call of one store operation is given: the operation's deadline. */
type CallOptions = { abortSignal?: AbortSignal };

export interface TableStoreOptions {
  /**
   * How long one store operation may take, all its calls and their retries included;
   * `STORE_TIMEOUT_MS` (set by the component from the function's timeout) when unset, and
   * unbounded (STORE_RETRY alone) when that is unset too.
   */
  timeoutMs?: number;
}

/**
 * Each operation (a read, the entity group transaction, a pending-index query, a welcome or a
 * claim with its re-reads) runs under one abort signal that fires at the deadline. Every
 * TableClient method takes it in its options (`getEntity(…, GetTableEntityOptions)`,
 * `submitTransaction(…, OperationOptions)`, `listEntities(ListTableEntitiesOptions)`:
 * https://learn.microsoft.com/javascript/api/@azure/data-tables/tableclient), the signal "which
 * can be used to abort requests" (https://learn.microsoft.com/javascript/api/@azure/core-client/operationoptions);
 * in 13.3.2 the transaction passes it to its pipeline request (dist/commonjs/TableTransaction.js),
 * and the retry policy stops waiting when it fires, so STORE_RETRY's tries end with it. An
 * aborted write may still reach the table (it was on the wire): a create is one entity group
 * transaction, so it lands whole (user, email claim and pending index) or not at all.
 */
export function createTableUserStore(table: () => Promise<TableClient>, options: TableStoreOptions = {}): UserStore & PendingUserStore {
  const timeoutMs = options.timeoutMs ?? storeTimeoutMs();

  /** Runs `work` under the operation's deadline; an abort becomes a StoreDeadlineError (500 internal_error, logged with its cause). */
  async function bounded<T>(operation: string, work: (client: TableClient, call: CallOptions) => Promise<T>): Promise<T> {
    const client = await table();
    if (!timeoutMs) return work(client, {});
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      return await work(client, { abortSignal });
    } catch (error) {
      if (abortSignal.aborted) throw new StoreDeadlineError("Azure Table", operation, timeoutMs, { cause: error });
      throw error;
    }
  }

  async function read(client: TableClient, id: string, call: CallOptions): Promise<TableEntityResult<UserEntity> | undefined> {
    try {
      return await client.getEntity<UserEntity>(USERS_PARTITION, userRowKey(id), call);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  return {
    async get(id) {
      const entity = await bounded("get", (client, call) => read(client, id, call));
      return entity ? toUser(entity) : undefined;
    },

    async create(user) {
      const userEntity: UserEntity = {
        partitionKey: USERS_PARTITION,
        rowKey: userRowKey(user.id),
        id: user.id,
        email: user.email,
        name: user.name,
        createdAt: user.createdAt,
        ...(user.welcomedAt ? { welcomedAt: user.welcomedAt } : { pendingIndexKey: pendingRowKey(user.createdAt, user.id) }),
      };
      const actions: TransactionAction[] = [
        ["create", { partitionKey: USERS_PARTITION, rowKey: emailRowKey(user.email), userId: user.id }],
        ["create", userEntity],
      ];
      if (userEntity.pendingIndexKey) {
        const index: PendingIndexEntity = { partitionKey: USERS_PARTITION, rowKey: userEntity.pendingIndexKey, id: user.id, email: user.email, createdAt: user.createdAt };
        actions.push(["create", index]);
      }
      try {
        await bounded("create", (client, call) => client.submitTransaction(actions, call));
      } catch (error) {
        // 409 EntityAlreadyExists: the email claim exists (user ids are random UUIDs).
        if (statusOf(error) === 409) throw new EmailTakenError(user.email);
        throw error;
      }
    },

    markWelcomed: (id, at) => bounded("markWelcomed", async (client, call): Promise<WelcomeResult> => {
      for (let attempt = 0; attempt < MAX_WELCOME_ATTEMPTS; attempt++) {
        const entity = await read(client, id, call);
        if (!entity) return "not-found";
        if (entity.welcomedAt) return "already-welcomed";
        // The ETag makes this a compare-and-set: a concurrent welcome (or claim) wins once, the other
        // sees 412; the index entity goes in the same transaction, so both change or neither.
        const actions: TransactionAction[] = [["update", { partitionKey: USERS_PARTITION, rowKey: userRowKey(id), welcomedAt: at }, "Merge", { etag: entity.etag }]];
        if (entity.pendingIndexKey) actions.push(["delete", { partitionKey: USERS_PARTITION, rowKey: entity.pendingIndexKey }]);
        try {
          await client.submitTransaction(actions, call);
          return "welcomed";
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
      throw new Error(`user ${id} kept changing while being welcomed`);
    }),

    async listPending({ createdBefore, limit, cursor }) {
      const { value: page } = await bounded("listPending", (client, call) =>
        client
          .listEntities<PendingIndexEntity>({
            ...call,
            queryOptions: {
              filter: odata`PartitionKey eq ${USERS_PARTITION} and RowKey ge ${PENDING_PREFIX} and RowKey lt ${PENDING_PREFIX + createdBefore}`,
              select: ["id", "email", "createdAt", "republishCount"],
            },
          })
          .byPage({ maxPageSize: Math.min(limit, MAX_QUERY_PAGE), continuationToken: cursor })
          .next(),
      );
      const users: PendingUser[] = (page ?? []).map((entity: PendingIndexEntity) => ({
        id: entity.id,
        email: entity.email,
        createdAt: entity.createdAt,
        republishCount: entity.republishCount ?? 0,
      }));
      // The service's continuation token, passed through unread: the cursor is opaque.
      return { users, cursor: page?.continuationToken };
    },

    claimRepublish: (id, at, claimableBefore) => bounded("claimRepublish", async (client, call) => {
      for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
        const entity = await read(client, id, call);
        if (!entity || entity.welcomedAt || !entity.pendingIndexKey) return false;
        if (entity.lastRepublishAt && entity.lastRepublishAt >= claimableBefore) return false;
        const claim = { lastRepublishAt: at, republishCount: (entity.republishCount ?? 0) + 1 };
        try {
          // Conditional on the user's ETag: of two racing claims (or a claim and a welcome) one
          // commits and the other sees 412, re-reads, and finds the claim taken (or the user
          // welcomed). The index entity carries the count for listPending, in the same transaction.
          await client.submitTransaction(
            [
              ["update", { partitionKey: USERS_PARTITION, rowKey: userRowKey(id), ...claim }, "Merge", { etag: entity.etag }],
              ["update", { partitionKey: USERS_PARTITION, rowKey: entity.pendingIndexKey, ...claim }, "Merge"],
            ],
            call,
          );
          return true;
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
      return false;
    }),
  };
}

function toUser(entity: UserEntity): User {
  return {
    id: entity.id,
    email: entity.email,
    name: entity.name,
    createdAt: entity.createdAt,
    welcomedAt: entity.welcomedAt ?? null,
  };
}

/** The SDK reports the HTTP status on `statusCode`; Azurite leaves `.code` undefined. */
function statusOf(error: unknown): number | undefined {
  if (error instanceof RestError) return error.statusCode;
  return (error as { statusCode?: number } | undefined)?.statusCode;
}
