/**
 * What the TypeScript types guard, checked at run time for a plain JavaScript program: every
 * bad value gives a sentence naming it and the allowed ones, never `Cannot read properties of
 * undefined` or an esbuild error. And which shared resources a function list needs.
 */
import * as assert from "node:assert/strict";
import { bundleFunction } from "./bundle";
import { checkFunctions, sharedResourcesFor, type FunctionSpec } from "./platform";

const settings = { memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 1, warmInstances: 0 };
const hello: FunctionSpec = { definition: { name: "hello", trigger: { kind: "http" }, capabilities: [], description: "" }, settings };
/** A spec with some fields replaced by values the types would refuse. */
const bad = (definition: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ ...hello, ...more, definition: { ...hello.definition, ...definition } }) as unknown as FunctionSpec;
const check = (functions: unknown) => () => checkFunctions("aws", "team", functions as FunctionSpec[]);

describe("checkFunctions: run-time checks for plain JavaScript", () => {
  it("accepts a well-formed function", () => {
    check([hello])();
  });

  it("names an unknown capability and lists the allowed ones", () => {
    assert.throws(
      check([bad({ capabilities: ["users.read", "users.delete"] })]),
      /^ComponentArgsError: AwsFunctions "team": function "hello": unknown capability "users\.delete"; allowed: users\.read, users\.create, users\.update, users\.listPending, events\.publish, events\.consume, apiKey\.read\.$/,
    );
    assert.throws(check([bad({ capabilities: "users.read" })]), /function "hello": capabilities must be an array \(possibly empty\) of users\.read, .*; got "users\.read"\./);
  });

  it("names an unknown trigger kind, or a missing trigger, and lists the kinds", () => {
    assert.throws(check([bad({ trigger: { kind: "cron" } })]), /function "hello": trigger\.kind must be one of http, queue, schedule; got "cron"\.$/);
    assert.throws(check([bad({ trigger: "http" })]), /function "hello": trigger\.kind must be one of http, queue, schedule; got "http"\.$/);
    assert.throws(check([bad({ trigger: undefined })]), /trigger\.kind must be one of http, queue, schedule; got undefined\.$/);
  });

  it("names a missing name, definition, settings or numeric setting", () => {
    assert.throws(check([bad({ name: "" })]), /functions\[0\]\.definition\.name must be a non-empty string; got ""\./);
    assert.throws(check([{ settings }]), /functions\[0\] must be \{ definition, settings, bundle \} \(see deploymentsFor\); got \{"settings":/);
    assert.throws(check([bad({}, { settings: undefined })]), /function "hello": settings must be an object/);
    assert.throws(check([bad({}, { settings: { ...settings, memoryMb: "512" } })]), /function "hello": settings\.memoryMb must be a number; got "512"\./);
  });

  it("names a functions argument that is not an array", () => {
    assert.throws(check(undefined), /`functions` must be an array of functions to deploy; got undefined\./);
    assert.throws(check(hello), /`functions` must be an array of functions to deploy; got \{/);
  });
});

describe("bundleFunction: run-time checks for plain JavaScript", () => {
  const entry = "test/fixtures/hello/hello.ts";
  it("names an unknown platform and lists the four", () => {
    assert.throws(() => bundleFunction({ name: "hello", entry, trigger: { kind: "http" } }, "lambda" as never), /^TypeError: unknown platform "lambda"; allowed: aws, gcp, azure, cloudflare\.$/);
  });
  it("names an unknown trigger kind before esbuild sees it", () => {
    assert.throws(() => bundleFunction({ name: "hello", entry, trigger: { kind: "cron" as never } }, "aws"), /^TypeError: function "hello": trigger\.kind must be one of http, queue, schedule; got "cron"\.$/);
  });
  it("names a missing entry, or one without the platform's path", () => {
    assert.throws(() => bundleFunction({ name: "hello", entry: undefined as never, trigger: { kind: "http" } }, "aws"), /function "hello": entry must be a handler path, or one per platform with a path for aws; got undefined\./);
    assert.throws(() => bundleFunction({ name: "hello", entry: { gcp: entry } as never, trigger: { kind: "http" } }, "aws"), /with a path for aws; got \{"gcp":/);
  });
});

describe("sharedResourcesFor: which shared resources a function list needs", () => {
  const withCaps = (...capabilities: FunctionSpec["definition"]["capabilities"][number][]) => bad({ capabilities });
  it("none for functions that declare nothing", () => {
    assert.deepEqual(sharedResourcesFor([hello]), { usersStore: false, events: false, apiKey: false });
  });
  it("each for the capabilities that use it, and only those", () => {
    assert.deepEqual(sharedResourcesFor([withCaps("users.listPending")]), { usersStore: true, events: false, apiKey: false });
    assert.deepEqual(sharedResourcesFor([withCaps("events.publish")]), { usersStore: false, events: true, apiKey: false });
    assert.deepEqual(sharedResourcesFor([withCaps("events.consume")]), { usersStore: false, events: true, apiKey: false });
    assert.deepEqual(sharedResourcesFor([withCaps("apiKey.read")]), { usersStore: false, events: false, apiKey: true });
    assert.deepEqual(sharedResourcesFor([hello, withCaps("users.read", "events.publish", "apiKey.read")]), { usersStore: true, events: true, apiKey: true });
  });
});
