/**
 * The race phase: concurrent POSTs of one email in spellings that normalise alike. The store
 * must reject all but one atomically: exactly one 201 and the rest 409 email_taken.
 */
import type { FuzzSubject } from "./fuzz";
import { errorCodeOf, outcome } from "./invariants";

export interface RaceResult {
  platform: string;
  posts: number;
  created: number;
  emailTaken: number;
  /** Any other answer, by outcome. */
  other: Record<string, number>;
  ok: boolean;
}

/** The spellings of one address that the API must treat as the same: case and surrounding whitespace. */
export function spellingsOf(local: string, domain: string, count: number): string[] {
  const forms = [
    (l: string, d: string) => `${l}@${d}`,
    (l: string, d: string) => `${l.toUpperCase()}@${d.toUpperCase()}`,
    (l: string, d: string) => `  ${l}@${d} `,
    (l: string, d: string) => `\t${l[0].toUpperCase()}${l.slice(1)}@${d}\n`,
    (l: string, d: string) => `${l}@${d[0].toUpperCase()}${d.slice(1)}\u00a0`,
  ];
  return Array.from({ length: count }, (_, i) => forms[i % forms.length](local, domain));
}

export async function runRace(subject: FuzzSubject, posts = 50): Promise<RaceResult> {
  const local = `racer${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const answers = await Promise.all(
    spellingsOf(local, "example.com", posts).map((email, i) =>
      subject.send({ method: "POST", path: "/users", headers: { "x-api-key": subject.apiKey, "content-type": "application/json" }, body: JSON.stringify({ email, name: `Racer ${i}` }) }),
    ),
  );
  const result: RaceResult = { platform: subject.platform, posts, created: 0, emailTaken: 0, other: {}, ok: false };
  for (const answer of answers) {
    if (answer.status === 201) result.created++;
    else if (answer.status === 409 && errorCodeOf(answer) === "email_taken") result.emailTaken++;
    else result.other[outcome(answer)] = (result.other[outcome(answer)] ?? 0) + 1;
  }
  result.ok = result.created === 1 && result.emailTaken === posts - 1;
  return result;
}
