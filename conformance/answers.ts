/**
 * What came back, said in a failure message: a conformance case that fails names the statuses
 * and error codes it got, so a smoke failure in `npm run compare` (console and report) or a
 * test failure tells what the platform answered, not only that it differed.
 */

/** The longest body excerpt a failure message quotes. */
const EXCERPT_CHARS = 160;

/**
 * One answer as "409 email_taken" (a parity error: status and code), "201" (a success), or the
 * status and an excerpt of any other body, e.g. a runtime's own HTML 400. Reads a clone, so the
 * response's body stays unread for the case.
 */
export async function answerOf(response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.clone().text();
  } catch (error) {
    return `${response.status} (body unreadable: ${(error as Error).message})`;
  }
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } })?.error?.code;
    if (typeof code === "string") return `${response.status} ${code}`;
  } catch {
    // Not JSON: quoted below.
  }
  if (response.status < 300 || text.trim() === "") return String(response.status);
  const flat = text.replace(/\s+/g, " ").trim();
  return `${response.status} ${JSON.stringify(flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat)}`;
}

/** Many answers counted, most frequent first: "1 × 201, 18 × 409 email_taken, 1 × 500 internal_error". */
export async function tallyOf(responses: Response[]): Promise<string> {
  const counts = new Map<string, number>();
  for (const answer of await Promise.all(responses.map(answerOf))) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([answer, count]) => `${count} × ${answer}`)
    .join(", ");
}
