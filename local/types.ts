/**
 * The local cloud: each platform's real bundles on its local runtime with its local store
 * and queue emulators, on loopback. `npm start`, `npm run compare` and the tests start a
 * platform through its launcher (`local/launchers.ts`), with whatever functions a catalog holds.
 */
import type { Platform } from "../components/catalog";
import type { FunctionDeployment, NativeSettings, SettingWarning } from "../components/platform";
import type { LocalSchedule } from "./scheduler";

export interface LaunchOptions {
  /**
   * The functions to run, bundled for this platform, with their portable settings: the
   * project's catalog, or a reused component's own. The launcher starts each by its trigger
   * kind and decides its native settings with the platform's rules, as a deploy does.
   */
  functions: FunctionDeployment[];
  /** The API key the functions will read from the (emulated) secret store. */
  apiKey: string;
  /** Progress lines for the user (e.g. "DynamoDB Local ready in 2.4 s"). */
  log?: (line: string) => void;
  /** Every line the functions write (their JSON logs), with the function's name. */
  onFunctionLog?: (functionName: string, line: string) => void;
}

export interface LocalPlatform {
  platform: Platform;
  /** Base URL of the HTTP function on loopback, e.g. http://127.0.0.1:41234; undefined without one. */
  url: string | undefined;
  /** Function name → the native settings the platform's rules decided (the same code as a deploy). */
  nativeSettings: Record<string, NativeSettings>;
  /** What the rules could not express exactly, as a deploy would warn. */
  warnings: SettingWarning[];
  /**
   * Function name → the local scheduler of each schedule function: the expression in the
   * platform's dialect (as a deploy sets it), its next fire times, and `fireNow()`, which
   * invokes the real bundle the way the platform's scheduler does.
   */
  schedules: Record<string, LocalSchedule>;
  /**
   * Queue state for the comparison's queue-delay phase: messages waiting and dead-lettered.
   * Delivery to the worker runs by itself, honouring batchSize, maxAttempts and the DLQ.
   */
  queueDepth(): Promise<{ pending: number; deadLettered: number }>;
  /** What runs, for the endpoint table (e.g. "Lambda handlers + DynamoDB Local 2.x + fauxqs"). */
  description: string;
  /** Stops the runtime, the delivery loop and every emulator process it started. */
  stop(): Promise<void>;
  /**
   * Optional: replaces the function runtime with a fresh one (new process or isolate, new
   * module scope) while the emulators and their data stay, so the next request is a cold
   * start. `npm run compare` uses it for cold-start samples after the first; without it,
   * it starts a whole new launcher per sample. `url` may change; read it again after.
   */
  restart?(): Promise<void>;
}

export type Launcher = (options: LaunchOptions) => Promise<LocalPlatform>;
