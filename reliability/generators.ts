/**
 * fast-check generators of the requests the differential fuzzer sends: methods, paths
 * (percent-encoding, invalid escapes, long and non-ASCII ids), headers (content types with
 * parameters and odd casing, auth header forms) and bodies (valid and broken JSON, non-object
 * JSON, wrong types, every class of string). One generated value is a plain, printable
 * {@link FuzzRequest}, so a failure can be shown and replayed as it is.
 */
import fc from "fast-check";

/** A request before it is addressed: the same value is sent to every platform. */
export interface FuzzRequest {
  method: string;
  /** Path and query, as given to the URL parser (`/users/%zz`, `/users?x=1`). */
  path: string;
  /** Header name → value; `{key}` in a value stands for the API key. */
  headers: Record<string, string>;
  /** The body text; `{run}` stands for a fresh token per send (unique emails). */
  body?: string;
  /**
   * Sent compressed: the body's UTF-8 bytes gzip-, brotli- or deflate-coded at send time (the
   * `content-encoding` header is in `headers`, as generated). Absent: sent as it is.
   */
  coding?: BodyCoding;
  /** How the body is framed on the wire, where not by its honest `content-length` (issue 26). */
  framing?: Framing;
}

export const bodyCodings = ["gzip", "br", "deflate"] as const;
export type BodyCoding = (typeof bodyCodings)[number];

/**
 * A body's framing (RFC 9112 §6): `chunked` with no length, or chunked with a `content-length`
 * as well (which lies: it is the body's length plus `lengthDelta`), or a `content-length` alone
 * that lies by `lengthDelta` bytes: shorter than the bytes sent (the rest follows on the
 * connection), or longer (the client sends what it has and closes its side).
 */
export interface Framing {
  chunked: boolean;
  /** content-length minus the body's byte length; absent: no content-length (only with chunked). */
  lengthDelta?: number;
}

/** Replaced at send time: the API key, and a token that keeps generated emails unused. */
export const KEY_SLOT = "{key}";
export const RUN_SLOT = "{run}";

/**
 * The length of the run token the fuzzer fills `{run}` with (fuzz.ts): fixed, so a body or an
 * email can be generated at an exact byte length (16 KiB, 254 octets) and one past it.
 */
export const RUN_TOKEN_LENGTH = 13;

/** The UTF-8 length of `text` once each `{run}` holds a run token. */
export function materializedBytes(text: string): number {
  return Buffer.byteLength(text) + (text.split(RUN_SLOT).length - 1) * (RUN_TOKEN_LENGTH - RUN_SLOT.length);
}

/** Fills the slots of a generated request for one send. */
export function materialize(request: FuzzRequest, apiKey: string, runToken: string): FuzzRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, v.split(KEY_SLOT).join(apiKey)]));
  return { ...request, headers, body: request.body?.split(RUN_SLOT).join(runToken) };
}

const USER_ID = "0b7c9a52-3f0e-4d2a-9c61-5e8f0d1a2b3c";

/** Every class of string a JSON client can send as a field value. */
export const stringClasses = {
  empty: fc.constant(""),
  whitespace: fc.constantFrom(" ", "\t\n", "\u00a0", "\u3000", "\u2028", " \r\n "),
  ascii: fc.string({ maxLength: 20 }),
  unicode: fc.string({ unit: "grapheme", maxLength: 12 }),
  nonBmp: fc.constantFrom("😀", "𝒜da", "𠜎𠜱", "Ada 🧪"),
  illFormed: fc.string({ unit: "binary", maxLength: 8 }).map((s) => `a${s}\ud800`),
  loneLowSurrogate: fc.constantFrom("\udc00", "x\udfffy"),
  control: fc.constantFrom("\u0000", "a\u0000b", "\u0007", "a\u001fb", "\u007f", "\u0085", "\u200b", "\ufeff", "\uffff"),
  confusable: fc.constantFrom("Аda", "аdmin", "ⅰ", "ǅ", "ﬀ", "İ"),
  fullWidth: fc.constantFrom("Ａｄａ", "ａ＠ｂ．ｃｏ", "１２３"),
  long: fc.constantFrom(99, 100, 101, 254, 255, 1000).map((n) => "x".repeat(n)),
} as const;

export const anyString = fc.oneof(...Object.values(stringClasses));

/** Emails: well-formed ones carry {@link RUN_SLOT} so each send is a new user. */
const emailValue = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("ada", "Grace.Hopper", "x+tag", "ÄDA", "a"), fc.constantFrom("example.com", "EXAMPLE.io", "b.co", "xn--bcher-kva.ch", "bücher.de")).map(([local, domain]) => `${local}${RUN_SLOT}@${domain}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(" ", "\t", "", "  "), fc.constantFrom(" ", "\n", "")).map(([before, after]) => `${before}Ada${RUN_SLOT}@Example.com${after}`) },
  { weight: 1, arbitrary: fc.tuple(anyString, fc.constantFrom("@example.com", "@b.co", "")).map(([local, domain]) => `${local}${RUN_SLOT}${domain}`) },
  { weight: 1, arbitrary: fc.constantFrom(`${"l".repeat(240)}${RUN_SLOT}@example.com`, `a${RUN_SLOT}@${"d".repeat(250)}.com`) },
  { weight: 1, arbitrary: anyString },
  // Issue 26: spellings of one mailbox (combining marks, full-width domains), non-BMP local parts,
  // long multi-byte addresses around the 254-octet limit, invisible characters, and the
  // local parts Firestore's old escape wrote alike.
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom("e\u0301", "\u00e9", "E\u0301", "a\u0308", "\u00e41", "\u0e41", "!1", "\u0211", "\u{1f600}", "\u{20000}x", "a\u200b", "ad\u202emin").map((local) => `${local}${RUN_SLOT}@example.com`),
      fc.constantFrom("\uff59.io", "y.io", "B\u00fccher.DE", "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com").map((domain) => `a${RUN_SLOT}@${domain}`),
      fc.tuple(fc.constantFrom("\u00e9", "\u4e2d", "\u{1f600}"), fc.integer({ min: 55, max: 125 })).map(([unit, count]) => `${unit.repeat(Math.floor(count * 2 / Buffer.byteLength(unit)))}${RUN_SLOT}@x.io`),
      // Exactly at the 254-octet limit (RFC 5321 with RFC 6531) and one past it, in 2-, 3- and 4-byte
      // characters, plain or decomposed (é as e + U+0301: 3 octets that NFC makes 2).
      fc.tuple(fc.constantFrom("\u00e9", "\u4e2d", "\u{1f600}", "e\u0301"), fc.constantFrom(254, 255)).map(([unit, octets]) => emailOfOctets(unit, octets)),
    ),
  },
);

/**
 * An unused address of exactly `octets` UTF-8 octets once sent (as NFC would store it): `unit`
 * repeated, then ASCII to fill, then the run token and a short domain.
 */
export function emailOfOctets(unit: string, octets: number): string {
  const tail = `${RUN_SLOT}@x.io`;
  const stored = (text: string) => materializedBytes(text.normalize("NFC"));
  const head = unit.repeat(Math.floor((octets - stored(tail)) / stored(unit)));
  return `${head}${"a".repeat(octets - stored(head + tail))}${tail}`;
}
const nameValue = fc.oneof({ weight: 3, arbitrary: fc.constantFrom("Ada Lovelace", " Grace Hopper ", "李小龍", "Zoë") }, { weight: 4, arbitrary: anyString });
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }), fc.double());
const fieldValue = (value: fc.Arbitrary<string>) => fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: wrongType });

/** A user object: each field present nine times in ten, now and then an unknown extra field. */
const userObject = fc
  .tuple(fc.option(fieldValue(emailValue), { freq: 10 }), fc.option(fieldValue(nameValue), { freq: 10 }), fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 2 }))
  .map(([email, name, extra]) => {
    const user: Record<string, unknown> = {};
    if (email !== null) user.email = email;
    if (name !== null) user.name = name;
    if (extra !== null) user.extra = extra;
    return user;
  });

const brokenJson = fc.oneof(
  fc.constantFrom("", " ", "{", '{"email": "a@b.co", ', "{'email':'a@b.co'}", "[1,2", "nul", '{"email":"a@b.co"}x', '{"email":"\\x41"}', '"\\ud800"x', "\u0000", "{,}"),
  fc.string({ maxLength: 30 }).map((s) => `{${s}`),
);
const nonObjectJson = fc.oneof(fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== "object" || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)), fc.constantFrom("null", "[]", '"a@b.co"', "42", "true"));

/** JSON.stringify, or the same with a BOM, or hand-built with raw (unescaped) characters. */
const jsonBody = fc.oneof(
  { weight: 8, arbitrary: userObject.map((user) => JSON.stringify(user)) },
  { weight: 1, arbitrary: userObject.map((user) => `\ufeff${JSON.stringify(user)}`) },
  { weight: 1, arbitrary: fc.tuple(emailValue, nameValue).map(([email, name]) => `{"email":"${email}","name":"${name}"}`) },
);

export const bodyText = fc.oneof(
  { weight: 10, arbitrary: jsonBody },
  { weight: 2, arbitrary: brokenJson },
  { weight: 2, arbitrary: nonObjectJson },
  { weight: 1, arbitrary: fc.constantFrom(16 * 1024, 16 * 1024 + 1, 20_000).map((n) => JSON.stringify({ email: `big${RUN_SLOT}@example.com`, name: "n".repeat(n) })) },
  // A valid user padded to exactly the 16 KiB limit and one byte past it (on the bytes sent).
  { weight: 1, arbitrary: fc.constantFrom(16 * 1024, 16 * 1024 + 1).map(bodyOfBytes) },
  { weight: 1, arbitrary: fc.constantFrom("email=a%40b.co&name=Ada", "<user/>") },
);

/** A valid user whose JSON is exactly `bytes` long once sent (an unknown `pad` field is ignored by the API). */
export function bodyOfBytes(bytes: number): string {
  const user = { email: `pad${RUN_SLOT}@example.com`, name: "Pad", pad: "" };
  user.pad = "p".repeat(bytes - materializedBytes(JSON.stringify(user)));
  return JSON.stringify(user);
}

const idSegment = fc.oneof(
  fc.constantFrom(USER_ID, USER_ID.toUpperCase(), "00000000-0000-4000-8000-000000000000", "not-a-uuid", "", "%zz", "%", "%2F", "%00", "..", "%2e%2e", "caf%C3%A9", "café", "😀", "%F0%9F%98%80", "%ud800", "%C0%AF"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom(200, 2000).map((n) => "a".repeat(n)),
);
export const fuzzPath = fc.oneof(
  { weight: 6, arbitrary: fc.constant("/users") },
  { weight: 3, arbitrary: idSegment.map((id) => `/users/${id}`) },
  { weight: 1, arbitrary: fc.constantFrom("/health", "/", "/Users", "/users/", "//users", "/users?x=1", "/users#f", "/users/%2F/x", `/users/${USER_ID}/extra`, "/health?probe=1", "/nope", "/users;a=b") },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "Application/Json;Charset=UTF-8", "application/json ; charset=utf-8", "application/json;charset=latin1") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/vnd.api+json", "application/json-patch+json", "multipart/form-data", "", "json", "text/json") },
);
const authHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Record<string, string>>({ "x-api-key": KEY_SLOT }, { authorization: `Bearer ${KEY_SLOT}` }, { Authorization: `bearer ${KEY_SLOT}` }, { "X-API-KEY": ` ${KEY_SLOT} ` }, { authorization: `Bearer   ${KEY_SLOT}` }) },
  { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({}, { "x-api-key": "" }, { "x-api-key": "wrong-key-wrong-key" }, { authorization: "Bearer" }, { authorization: `Basic ${KEY_SLOT}` }, { authorization: KEY_SLOT }, { "x-api-key": `${KEY_SLOT}x` }, { authorization: "Bearer wrong", "x-api-key": KEY_SLOT }) },
);

/** Issue 26: a coding on a plain body is refused (415) everywhere, before its size or its JSON is read. */
const contentEncoding = fc.constantFrom("gzip", "br", "deflate", "identity", "GZIP", "gzip, br");

/**
 * Issue 26: bodies that are really compressed (the label and the bytes agree), small or
 * inflating past 16 KiB: still 415, never inflated.
 */
const compressedBody = fc.tuple(fc.constantFrom(...bodyCodings), fc.oneof(jsonBody, fc.constantFrom(16 * 1024 + 1, 100_000).map(bodyOfBytes)));

/**
 * Issue 26: chunked bodies, and lengths that lie: chunked with a content-length too (too small,
 * too large, or zero), a content-length shorter than the bytes sent, or longer.
 */
const framing = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Framing>({ chunked: true }) },
  { weight: 2, arbitrary: fc.constantFrom(-10, -1, 1, 100, 20_000).map((lengthDelta): Framing => ({ chunked: true, lengthDelta })) },
  { weight: 1, arbitrary: fc.constantFrom(-10, -1).map((lengthDelta): Framing => ({ chunked: false, lengthDelta })) },
  { weight: 1, arbitrary: fc.constantFrom(1, 100).map((lengthDelta): Framing => ({ chunked: false, lengthDelta })) },
);

const method = fc.oneof({ weight: 8, arbitrary: fc.constantFrom("POST", "GET") }, { weight: 1, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD") });

/** Anything around the users API: method, path, headers and body all varied. */
const anyRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({ method, path: fuzzPath, auth: authHeaders, contentType: fc.option(contentType, { freq: 8 }), encoding: fc.option(contentEncoding, { freq: 12 }), body: bodyText })
  .map(({ method, path, auth, contentType, encoding, body }) => {
    const headers: Record<string, string> = { ...auth };
    const hasBody = method !== "GET" && method !== "HEAD";
    if (hasBody && contentType !== null) headers["content-type"] = contentType;
    if (hasBody && encoding !== null) headers["content-encoding"] = encoding;
    return hasBody ? { method, path, headers, body } : { method, path, headers };
  });

/** Issue 26: an authorised JSON POST /users (or now and then without a key) whose body is compressed or framed in a hostile way. */
const hostileBodyPost: fc.Arbitrary<FuzzRequest> = fc
  .record({ keyed: fc.integer({ min: 0, max: 4 }).map((n) => n > 0), body: fc.oneof({ weight: 1, arbitrary: compressedBody.map(([coding, text]) => ({ coding, text })) }, { weight: 2, arbitrary: fc.tuple(fc.oneof(jsonBody, fc.constantFrom(16 * 1024, 16 * 1024 + 1).map(bodyOfBytes)), framing).map(([text, framing]) => ({ text, framing })) }) })
  .map(({ keyed, body }): FuzzRequest => {
    const headers: Record<string, string> = { ...(keyed ? { "x-api-key": KEY_SLOT } : {}), "content-type": "application/json" };
    if ("coding" in body) return { method: "POST", path: "/users", headers: { ...headers, "content-encoding": body.coding }, body: body.text, coding: body.coding };
    return { method: "POST", path: "/users", headers, body: body.text, framing: body.framing };
  });

/** A well-addressed, authorised JSON POST /users: only the user's fields vary, so the stores see every string class. */
const userPost: fc.Arbitrary<FuzzRequest> = fc.tuple(fc.constantFrom("application/json", "application/json; charset=utf-8"), userObject).map(([type, user]) => ({
  method: "POST",
  path: "/users",
  headers: { "x-api-key": KEY_SLOT, "content-type": type },
  body: JSON.stringify(user),
}));

/** One generated request: a third are well-formed user POSTs whose fields are fuzzed, one in twelve a hostile body, the rest anything. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof({ weight: 8, arbitrary: anyRequest }, { weight: 4, arbitrary: userPost }, { weight: 1, arbitrary: hostileBodyPost });
