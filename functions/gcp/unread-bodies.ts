/**
 * Keeps the Functions Framework from reading request bodies before parity's code runs.
 *
 * The framework (what Cloud Functions runs: the buildpack starts `node_modules/.bin/functions-framework`
 * when the zip's package.json depends on it, GoogleCloudPlatform/buildpacks
 * cmd/nodejs/functions_framework/lib/lib.go) installs body-parser's json, text, urlencoded and raw
 * parsers in front of every function, each with `limit: '1024mb'` and inflation on
 * (@google-cloud/functions-framework 5.0.5 build/src/server.js, getServer). So a 244-byte brotli
 * body is inflated to 150 MiB and parsed before the function can check the caller's key, and it
 * offers no option to turn that off (build/src/options.js: port, target, source, signature type,
 * timeout, ignored routes, execution id). What it does allow: the user's module is loaded
 * before getServer() builds the app (build/src/main.js: getUserFunction, then getServer), and
 * getServer() reads the parsers from body-parser's exports when it runs. Replacing those four
 * factories, in the framework's own body-parser, with ones whose middleware leaves the body
 * unread hands the function the request stream as it arrived; the driver then reads it through
 * the core's bound (functions/core/users-api.ts readBodyWithin), after the key check.
 *
 * Only an HTTP function's process does this (the driver's http()): the queue and schedule
 * functions take JSON that only Pub/Sub and Cloud Scheduler can send (OIDC, checked by Cloud Run),
 * and read it parsed. The zip's package-lock.json pins the framework and body-parser this was read
 * against (components/gcp packaging); test/gcp/local.test.ts sends a compressed body to the real
 * framework and fails if a framework version parses it again.
 */
import { createRequire } from "node:module";

type Middleware = (req: unknown, res: unknown, next: () => void) => void;
type BodyParser = Record<"json" | "raw" | "text" | "urlencoded", (options?: unknown) => Middleware>;

const PARSERS = ["json", "raw", "text", "urlencoded"] as const;
/** Marks a request whose body the framework left unread (the driver checks it). */
export const BODY_LEFT_UNREAD = Symbol.for("parity.gcp.bodyLeftUnread");

let installed = false;

/** Idempotent. Throws when the framework's body-parser is not the shape this was written for. */
export function keepRequestBodiesUnread(): void {
  if (installed) return;
  // The body-parser the framework itself requires: resolved from the framework's own directory,
  // never a copy bundled with parity's code.
  const frameworkRequire = createRequire(require.resolve("@google-cloud/functions-framework"));
  const bodyParser = frameworkRequire("body-parser") as BodyParser;
  for (const name of PARSERS) {
    if (typeof bodyParser[name] !== "function") throw new Error(`the Functions Framework's body-parser has no ${name}(): cannot keep request bodies unread`);
    bodyParser[name] = () => (req, _res, next) => {
      (req as Record<symbol, boolean>)[BODY_LEFT_UNREAD] = true;
      next();
    };
  }
  installed = true;
}
