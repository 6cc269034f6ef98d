/** Input validation for the users API and the queue worker: pure functions, no I/O. */
import type { UserCreatedEvent } from "./ports";

/**
 * An address is at most 254 octets: RFC 5321 §4.5.3.1.3 bounds a path at 256 octets, two of them
 * the angle brackets (https://www.rfc-editor.org/errata/eid1690); with SMTPUTF8 the octets are
 * UTF-8 (RFC 6531 §3.3). Counted on the normalised address, in UTF-8, so every store key made
 * from it has a known bound (functions/<platform>/*store.ts).
 */
export const MAX_EMAIL_LENGTH = 254;
/** Characters (UTF-16 code units) of a trimmed name. */
export const MAX_NAME_LENGTH = 100;

/** A loose syntactic check; deliverability is not the API's business. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Characters no user field may hold: control characters (C0, DEL, C1; NUL among them), lone
 * surrogates (ill-formed UTF-16, which a JSON `\\ud800` escape can produce) and noncharacters
 * (U+FFFE, U+FFFF, …). Found by `npm run reliability`: the stores disagree on them (Firestore
 * refuses ill-formed strings with an error, the others store them), and SQS refuses or rewrites
 * an event holding them (it allows only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
 * #x10000–#x10FFFF: https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sqs/aws.sdk.kotlin.services.sqs.model/-send-message-request/message-body.html,
 * read 2026-11-30), so such a user would never be welcomed on AWS. Refused everywhere with one 422.
 */
const UNSTORABLE = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/** Why a string cannot be stored as user data, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  return UNSTORABLE.test(value) ? "must be text without control characters, unpaired surrogates or noncharacters" : undefined;
}

/**
 * Invisible characters that make two strings look alike or reorder what a reader sees: format
 * characters (general category Cf: zero-width space U+200B, soft hyphen, word joiner, tags, …) and
 * the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C: all Cf, listed by
 * the Bidi_Control property too). `"ad\u202emin\u200b"` would otherwise show as another name, and
 * `a\u200b@x.io` would be a second user for the mailbox `a@x.io`. Unicode's own advice for
 * identifiers: https://www.unicode.org/reports/tr39/#Identifier_Status_and_Type (Default_Ignorable).
 */
const INVISIBLE = /[\p{Cf}\p{Bidi_Control}]/u;
/**
 * A name may keep the two joiners, ZWNJ U+200C and ZWJ U+200D: Persian, the Indic scripts and
 * emoji sequences need them, and PRECIS lets a free-form string hold them
 * (RFC 8264 §9.8 and Appendix A.1, CONTEXTJ: https://www.rfc-editor.org/rfc/rfc8264).
 */
const INVISIBLE_IN_NAME = /(?![\u200c\u200d])[\p{Cf}\p{Bidi_Control}]/u;
const INVISIBLE_MESSAGE = "must not hold invisible format or bidirectional-control characters";

/** Characters that would end or redirect a URL's host if the domain were parsed as one. */
const NOT_IN_A_DOMAIN = /[/\\?#:@[\]%]/;

/**
 * The domain in its ASCII form (IDNA: UTS #46 mapping, then Punycode), or undefined when it is no
 * domain: `ｙ.io` (full-width y) and `y.io` are one mailbox, `bücher.de` is `xn--bcher-kva.de`.
 * The WHATWG URL host parser applies exactly that mapping (https://url.spec.whatwg.org/#concept-domain-to-ascii),
 * and it exists on every runtime parity runs on (Node's `url.domainToASCII` is the same parser, but
 * Workers have no `node:url` without nodejs_compat).
 */
function domainToAscii(domain: string): string | undefined {
  if (NOT_IN_A_DOMAIN.test(domain)) return undefined;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
}

const utf8 = new TextEncoder();
/** Octets of `value` in UTF-8. */
export function utf8Length(value: string): number {
  return utf8.encode(value).length;
}

export interface NewUserInput {
  email: string;
  name: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; fields: Record<string, string> };

/**
 * One mailbox, one spelling: trimmed, lower-cased, in Unicode normalisation form C (a precomposed
 * and a decomposed `é` are one character: https://www.unicode.org/reports/tr15/), and the domain
 * in its ASCII (IDNA) form. Returns the input's trimmed lower-cased NFC form unchanged in the
 * domain when the part after the last `@` is no domain; validation then refuses it.
 */
export function normalizeEmail(email: string): string {
  const text = email.trim().toLowerCase().normalize("NFC");
  const at = text.lastIndexOf("@");
  if (at < 0) return text;
  const domain = domainToAscii(text.slice(at + 1));
  return domain === undefined ? text : `${text.slice(0, at)}@${domain}`;
}

export function validateNewUser(body: unknown): Validation<NewUserInput> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, fields: { body: "must be a JSON object with email and name" } };
  }
  const { email, name } = body as Record<string, unknown>;
  const fields: Record<string, string> = {};

  // Stryker disable next-line StringLiteral: read only when the email was valid, after it was assigned.
  let normalizedEmail = "";
  if (typeof email !== "string" || email.trim() === "") fields.email = "is required";
  else {
    normalizedEmail = normalizeEmail(email);
    const unstorable = unstorableText(normalizedEmail);
    if (unstorable) fields.email = unstorable;
    else if (INVISIBLE.test(normalizedEmail)) fields.email = INVISIBLE_MESSAGE;
    else if (utf8Length(normalizedEmail) > MAX_EMAIL_LENGTH) fields.email = `must be at most ${MAX_EMAIL_LENGTH} octets in UTF-8`;
    else if (!EMAIL_PATTERN.test(normalizedEmail) || domainToAscii(normalizedEmail.slice(normalizedEmail.lastIndexOf("@") + 1)) === undefined) {
      fields.email = "must be an email address";
    }
  }

  // Stryker disable next-line StringLiteral: read only when the name was valid, after it was assigned.
  let trimmedName = "";
  if (typeof name !== "string" || name.trim() === "") fields.name = "is required";
  else {
    // NFC too, so a name reads back in one form whatever the client's keyboard composed.
    trimmedName = name.trim().normalize("NFC");
    const unstorable = unstorableText(trimmedName);
    if (unstorable) fields.name = unstorable;
    else if (INVISIBLE_IN_NAME.test(trimmedName)) fields.name = INVISIBLE_MESSAGE;
    else if (trimmedName.length > MAX_NAME_LENGTH) fields.name = `must be at most ${MAX_NAME_LENGTH} characters`;
  }

  return Object.keys(fields).length > 0
    ? { ok: false, fields }
    : { ok: true, value: { email: normalizedEmail, name: trimmedName } };
}

/** User ids are UUIDs generated by the API; anything else cannot name a user. */
const USER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUserId(value: unknown): value is string {
  return typeof value === "string" && USER_ID_PATTERN.test(value);
}

/** Parses a raw queue message body into a `user.created` event, or says why it is poison. */
export function parseUserCreatedEvent(body: string): Validation<UserCreatedEvent> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, fields: { body: "is not JSON" } };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, fields: { body: "is not a JSON object" } };
  }
  const event = parsed as Record<string, unknown>;
  const fields: Record<string, string> = {};
  if (event.type !== "user.created") fields.type = 'must be "user.created"';
  if (typeof event.eventId !== "string" || event.eventId === "") fields.eventId = "is required";
  if (!isUserId(event.userId)) fields.userId = "must be a user id";
  if (typeof event.occurredAt !== "string" || Number.isNaN(Date.parse(event.occurredAt))) {
    fields.occurredAt = "must be an ISO-8601 timestamp";
  }
  return Object.keys(fields).length > 0
    ? { ok: false, fields }
    : { ok: true, value: event as unknown as UserCreatedEvent };
}
