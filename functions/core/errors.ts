/** The stable error codes clients may branch on, with their HTTP status. */
export const errorStatus = {
  unauthorized: 401,
  route_not_found: 404,
  user_not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_content_encoding: 415,
  malformed_json: 400,
  incomplete_body: 400,
  validation_failed: 422,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The body of every error response: `{"error":{"code","message"}}`, plus per-field details on 422. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: Record<string, string> };
}

export function errorResponse(
  code: ErrorCode,
  message: string,
  extra: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
): Response {
  const body: ErrorBody = { error: { code, message, ...(extra.fields ? { fields: extra.fields } : {}) } };
  return new Response(JSON.stringify(body), {
    status: errorStatus[code],
    headers: { "content-type": "application/json; charset=utf-8", ...extra.headers },
  });
}

/** A store operation that did not finish within its deadline (`STORE_TIMEOUT_MS`); the core answers 500 internal_error and logs this error, with its cause. */
export class StoreDeadlineError extends Error {
  constructor(store: string, operation: string, timeoutMs: number, options?: ErrorOptions) {
    super(`${store} ${operation} did not finish within ${timeoutMs} ms (STORE_TIMEOUT_MS)`, options);
    this.name = "StoreDeadlineError";
  }
}
