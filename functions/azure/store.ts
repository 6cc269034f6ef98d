/**
 * UserStore on Azure Table Storage.
 *
 * Email uniqueness is enforced by the service: a user is written as two entities, the
 * user (`RowKey user:<id>`) and an email claim (`RowKey email:<email>`), in ONE entity
 * group transaction. Inserting an existing RowKey fails the whole transaction with 409,
 * so two racing creates can never both succeed and a failed create leaves nothing behind.
 * Entity group transactions need one PartitionKey, hence one partition for all users;
 * its scalability target is 2,000 entities/s
 * (https://learn.microsoft.com/azure/storage/tables/scalability-targets), far above
 * what this API is asked to do.
 */
import { RestError, TableClient, type TableEntityResult, type TransactionAction } from "@azure/data-tables";
import { EmailTakenError, type User, type UserStore, type WelcomeResult } from "../core";
import { azureEnv, requireSetting, type Env } from "./contract";
import { managedIdentity, serviceUri } from "./storage";

/** The users table: Azurite by connection string locally, the managed identity in Azure. */
export function usersTableClient(env: Env = process.env): TableClient {
  const table = requireSetting(env, azureEnv.usersTable);
  const local = env[azureEnv.localConnectionString];
  if (local) return TableClient.fromConnectionString(local, table, { allowInsecureConnection: true });
  return new TableClient(serviceUri(env, "table"), table, managedIdentity());
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
};

export const userRowKey = (id: string) => `user:${id}`;
/** RowKeys may not contain / \ # ? or control characters; URI-encoding removes them all. */
export const emailRowKey = (email: string) => `email:${encodeURIComponent(email)}`;

export function createTableUserStore(table: () => Promise<TableClient>): UserStore {
  async function read(id: string): Promise<TableEntityResult<UserEntity> | undefined> {
    try {
      return await (await table()).getEntity<UserEntity>(USERS_PARTITION, userRowKey(id));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  return {
    async get(id) {
      const entity = await read(id);
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
        ...(user.welcomedAt ? { welcomedAt: user.welcomedAt } : {}),
      };
      const actions: TransactionAction[] = [
        ["create", { partitionKey: USERS_PARTITION, rowKey: emailRowKey(user.email), userId: user.id }],
        ["create", userEntity],
      ];
      try {
        await (await table()).submitTransaction(actions);
      } catch (error) {
        // 409 EntityAlreadyExists: the email claim exists (user ids are random UUIDs).
        if (statusOf(error) === 409) throw new EmailTakenError(user.email);
        throw error;
      }
    },

    async markWelcomed(id, at): Promise<WelcomeResult> {
      for (let attempt = 0; attempt < MAX_WELCOME_ATTEMPTS; attempt++) {
        const entity = await read(id);
        if (!entity) return "not-found";
        if (entity.welcomedAt) return "already-welcomed";
        try {
          // The ETag makes this a compare-and-set: a concurrent welcome wins once, the other sees 412.
          await (await table()).updateEntity(
            { partitionKey: USERS_PARTITION, rowKey: userRowKey(id), welcomedAt: at },
            "Merge",
            { etag: entity.etag },
          );
          return "welcomed";
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
      throw new Error(`user ${id} kept changing while being welcomed`);
    },
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
