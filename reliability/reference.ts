/**
 * The reference answer: the core users API itself, in this process, over a store that keeps
 * users in a Map. Every platform must answer a request as the core does (outside the
 * known deviations), so each platform is compared with one oracle rather than pairwise.
 * Only the status and error code are compared: the store here decides nothing the core
 * does not (uniqueness by normalised email, as the ports demand).
 */
import { createLogger } from "../functions/core/log";
import { EmailTakenError, type User, type UserStore } from "../functions/core/ports";
import { createUsersApi } from "../functions/core/users-api";
import type { FuzzRequest } from "./generators";
import type { Observed } from "./invariants";

export const REFERENCE_BASE = "http://parity.test";

class MapUserStore implements UserStore {
  private readonly byId = new Map<string, User>();
  private readonly emails = new Set<string>();
  async get(id: string) {
    return this.byId.get(id);
  }
  async create(user: User) {
    if (this.emails.has(user.email)) throw new EmailTakenError(user.email);
    this.emails.add(user.email);
    this.byId.set(user.id, { ...user });
  }
  async markWelcomed() {
    return "not-found" as const;
  }
}

/** The core's answer to a request whose slots are filled (see `materialize`). */
export function createReference(apiKey: string): (request: FuzzRequest) => Promise<Observed> {
  const api = createUsersApi({
    store: new MapUserStore(),
    publisher: { publish: async () => undefined },
    apiKey: async () => apiKey,
    logger: createLogger({ platform: "reference", function: "users-api" }, { sink: () => undefined }),
  });
  return async (request) => observe(await api.fetch(toWebRequest(REFERENCE_BASE, request)));
}

/** The web Request a generated request stands for, against `base`. */
export function toWebRequest(base: string, request: FuzzRequest): Request {
  // Concatenated, not resolved: `//users` is a path here, not a host.
  return new Request(base + request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
}

export async function observe(response: Response): Promise<Observed> {
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}
