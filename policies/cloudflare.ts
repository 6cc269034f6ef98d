/** Cloudflare constraints the mocks cannot see, from components/cloudflare/rules.ts, each with its source. */
import { capabilitiesOfAnnotation, cloudflareLimits, cloudflareNameRules } from "../components/cloudflare/rules";
import { capabilities, type Capability } from "../components/catalog";
import { CAPABILITIES_TAG } from "../components/platform";
import { cloudflareEnv, workerBindings } from "../functions/cloudflare/contract";
import { namePolicy, ofType, resourcePolicy, stackPolicy, type ParityPolicy } from "./policy";

/** The Cloudflare resource types the rules read (the breakers use them too). */
export const cloudflareTypes = {
  script: "cloudflare:index/workersScript:WorkersScript",
  database: "cloudflare:index/d1Database:D1Database",
  queue: "cloudflare:index/queue:Queue",
  consumer: "cloudflare:index/queueConsumer:QueueConsumer",
  cron: "cloudflare:index/workersCronTrigger:WorkersCronTrigger",
} as const;
const T = cloudflareTypes;


interface ScriptBinding {
  type: string;
  name: string;
  text?: unknown;
}
// Plain data: @pulumi/policy unwraps the secret the bindings list travels in (it holds the API key).
const bindingsOf = (props: Record<string, any>): ScriptBinding[] => props.bindings ?? [];
const schedulesOf = (props: Record<string, any>): { cron: string }[] => props.schedules ?? [];

const limitsUrl = "https://developers.cloudflare.com/workers/platform/limits/";
const cronUrl = "https://developers.cloudflare.com/workers/configuration/cron-triggers/";

/** Binding names whose value is a credential: only ever a secret_text binding. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

export const cloudflarePolicies: ParityPolicy[] = [
  namePolicy({
    name: "cloudflare-worker-script-name",
    description: "Worker script names are lower-case letters, digits, - and _, and at most 63 characters (a DNS label of the workers.dev URL).",
    enforcementLevel: "mandatory",
    url: "https://developers.cloudflare.com/api/resources/workers/subresources/scripts/methods/update/",
    type: T.script,
    nameProperty: "scriptName",
    rule: { ...cloudflareNameRules.script, alphabet: "^[a-z0-9_][a-z0-9_-]*$" },
  }),
  namePolicy({
    name: "cloudflare-d1-database-name",
    description: "D1 database names are lower-case letters, digits, - and _, starting with a letter or digit.",
    enforcementLevel: "mandatory",
    url: "https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/create/",
    type: T.database,
    rule: { ...cloudflareNameRules.d1Database, alphabet: "^[a-z0-9][a-z0-9_-]*$" },
  }),
  namePolicy({
    name: "cloudflare-queue-name",
    description: "Queue names are at most 63 lower-case letters, digits or dashes, not starting or ending with a dash.",
    enforcementLevel: "mandatory",
    url: "https://github.com/cloudflare/workers-sdk/tree/main/packages/create-cloudflare",
    type: T.queue,
    nameProperty: "queueName",
    rule: { ...cloudflareNameRules.queue, alphabet: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$" },
  }),
  stackPolicy({
    name: "cloudflare-cron-triggers-per-account",
    description: `A stack holds at most ${cloudflareLimits.cron.triggersPerAccount.paid} Cron Triggers, the Workers Paid limit per account (Workers Free: ${cloudflareLimits.cron.triggersPerAccount.free}; the component checks the plan it is given).`,
    enforcementLevel: "mandatory",
    url: `${limitsUrl}#account-plan-limits`,
    validate: ({ resources }, report) => {
      const count = ofType(resources, T.cron).reduce((sum, trigger) => sum + schedulesOf(trigger.props).length, 0);
      const limit = cloudflareLimits.cron.triggersPerAccount.paid;
      if (count > limit) report(`${count} Cron Triggers; an account holds at most ${limit} (Workers Paid)`);
    },
  }),
  resourcePolicy({
    name: "cloudflare-cron-five-fields",
    description: "Every Cron Trigger expression has five fields (minute hour day-of-month month day-of-week), in UTC.",
    enforcementLevel: "mandatory",
    url: `${cronUrl}#supported-cron-expressions`,
    types: [T.cron],
    validate: (props, _args, report) => {
      for (const { cron } of schedulesOf(props)) {
        const fields = String(cron).trim().split(/\s+/);
        if (fields.length !== 5) report(`"${cron}" has ${fields.length} fields; Cron Triggers take 5`);
      }
    },
  }),
  stackPolicy({
    name: "cloudflare-consumer-has-dead-letter-queue",
    description: "Every queue consumer names a dead-letter queue of the stack, other than the queue it consumes.",
    enforcementLevel: "mandatory",
    url: "https://developers.cloudflare.com/queues/configuration/dead-letter-queues/",
    validate: ({ resources }, report) => {
      const queues = ofType(resources, T.queue);
      for (const consumer of ofType(resources, T.consumer)) {
        const deadLetter = consumer.props.deadLetterQueue;
        const consumed = queues.find((q) => consumer.dependencies.includes(q) && q.props.queueName !== deadLetter);
        if (!deadLetter) report(`${consumer.name} has no dead-letter queue: a message that keeps failing is dropped after its retries`, consumer.urn);
        else if (!queues.some((q) => q.props.queueName === deadLetter) || consumed?.props.queueName === deadLetter) {
          report(`${consumer.name}'s dead-letter queue "${deadLetter}" is not another queue of the stack`, consumer.urn);
        }
      }
    },
  }),
  stackPolicy({
    name: "cloudflare-bindings-equal-capabilities",
    description: "Each Worker holds exactly the bindings (and queue consumer registration) its declared capabilities compile to, plus PARITY_PLATFORM and a schedule's two run settings.",
    enforcementLevel: "mandatory",
    url: "https://developers.cloudflare.com/workers/runtime-apis/bindings/",
    validate: ({ resources }, report) => {
      const consumers = ofType(resources, T.consumer);
      const crons = ofType(resources, T.cron);
      for (const script of ofType(resources, T.script)) {
        const declared = capabilitiesOfAnnotation(script.props.annotations?.workersMessage);
        if (!declared || declared.some((c) => !(capabilities as readonly string[]).includes(c))) {
          report(`${script.name} does not declare its capabilities in its version message ("${CAPABILITIES_TAG}: …")`, script.urn);
          continue;
        }
        const scriptName = script.props.scriptName;
        const scheduled = crons.some((c) => c.props.scriptName === scriptName);
        const expected = new Set<string>(
          workerBindings(declared as Capability[], { usersDatabaseId: "", eventsQueueName: "", apiKey: "" }, scheduled ? { graceSeconds: 0, timeBudgetSeconds: 0 } : undefined).map((b) => b.name),
        );
        const actual = new Set(bindingsOf(script.props).map((b) => b.name));
        const extra = [...actual].filter((b) => !expected.has(b));
        const missing = [...expected].filter((b) => !actual.has(b));
        if (extra.length > 0) report(`${script.name} is bound to ${extra.join(", ")}, which no declared capability (${declared.join(", ") || "none"}) needs`, script.urn);
        if (missing.length > 0) report(`${script.name} lacks ${missing.join(", ")}, which its declared capabilities need`, script.urn);
        const consumes = consumers.some((c) => c.props.scriptName === scriptName);
        if (consumes !== declared.includes("events.consume")) {
          report(`${script.name} ${consumes ? "consumes a queue without declaring" : "declares but is not registered for"} events.consume`, script.urn);
        }
      }
    },
  }),
  resourcePolicy({
    name: "cloudflare-no-secret-in-plain-text",
    description: `No plain_text binding is named like a credential: the API key (${cloudflareEnv.apiKey}) is a secret_text binding only.`,
    enforcementLevel: "mandatory",
    url: "https://developers.cloudflare.com/workers/configuration/secrets/",
    types: [T.script],
    validate: (props, _args, report) => {
      for (const binding of bindingsOf(props)) {
        if (binding.type !== "plain_text") continue;
        // By name only: a secret's value arrives unwrapped (policy.ts); the program test proves the key travels as a secret.
        if (SECRET_NAME.test(binding.name)) report(`plain_text binding ${binding.name} is named like a credential; use secret_text`);
      }
    },
  }),
];
