/**
 * The parts of `@pulumi/cloudflare` this component uses.
 *
 * Why not `import * as cloudflare from "@pulumi/cloudflare"`: the package root's declarations name
 * every Cloudflare resource (about 780 declaration files), and the typechecker reads them all.
 * Importing the resources by path gives the same classes with a fraction of the declarations to
 * parse. The root is still loaded at run time (below), so the package registers its provider with
 * `@pulumi/pulumi` as it would with a root import.
 */
export { D1Database } from "@pulumi/cloudflare/d1database";
export { Queue } from "@pulumi/cloudflare/queue";
export { QueueConsumer } from "@pulumi/cloudflare/queueConsumer";
export { WorkersCronTrigger } from "@pulumi/cloudflare/workersCronTrigger";
export { WorkersScript } from "@pulumi/cloudflare/workersScript";
export { WorkersScriptSubdomain } from "@pulumi/cloudflare/workersScriptSubdomain";
export type * as inputs from "@pulumi/cloudflare/types/input";

// A plain require: the typechecker does not follow it, so the root's declarations stay unread.
require("@pulumi/cloudflare");
