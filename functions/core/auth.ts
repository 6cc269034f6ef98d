/** API-key check in constant time, with Web Crypto only (it must run on Workers too). */

const encoder = new TextEncoder();

/** Reads the key from `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedApiKey(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    // Stryker disable next-line Regex: a header value holds no line break, so "(.+)" runs to the end with or without "$"; one or more spaces after Bearer, the trim below removes the rest.
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    // Stryker disable next-line MethodExpression: "\s+" already took the spaces before the key, and Headers.get strips those after it.
    if (match) return match[1].trim();
  }
  return headers.get("x-api-key")?.trim() || undefined;
}

/**
 * Compares two secrets in time independent of where they differ: both are hashed to
 * 32 bytes first, so neither the length nor the first differing byte leaks.
 */
export async function constantTimeEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  let difference = 0;
  // Stryker disable next-line EqualityOperator: both digests are 32 bytes; a[32] ^ b[32] is undefined ^ undefined, 0.
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0 && expected.length > 0;
}

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}
