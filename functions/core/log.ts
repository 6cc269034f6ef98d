/** Structured JSON logging shared by every platform: one JSON object per line. */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogContext {
  platform: string;
  function: string;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger for one invocation: adds requestId and whether it is this instance's first. */
  forInvocation(requestId: string): Logger;
}

/** Where log lines go; console by default so every platform's log collector picks them up. */
export type LogSink = (line: string, level: LogLevel) => void;

const consoleSink: LogSink = (line, level) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Creates the module-scoped logger of one function instance. The first invocation the
 * instance serves is logged with `coldStart: true`, every later one with `false`.
 */
export function createLogger(
  context: LogContext,
  options: { sink?: LogSink; minLevel?: LogLevel } = {},
): Logger {
  const sink = options.sink ?? consoleSink;
  const minLevel = levelOrder[options.minLevel ?? envLevel() ?? "info"];
  let invocations = 0;

  const make = (bound: Record<string, unknown>): Logger => {
    const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
      if (levelOrder[level] < minLevel) return;
      const record = {
        level,
        message,
        timestamp: new Date().toISOString(),
        platform: context.platform,
        function: context.function,
        ...bound,
        ...fields,
      };
      sink(JSON.stringify(record, errorReplacer), level);
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      // Stryker disable next-line UpdateOperator: counting down from 0 never returns to 0 either; only the first call is cold.
      forInvocation: (requestId) => make({ requestId, coldStart: invocations++ === 0 }),
    };
  };
  return make({});
}

function envLevel(): LogLevel | undefined {
  // Stryker disable next-line ConditionalExpression,OptionalChaining: Node always has process.env; the guards matter on Workers, which the unit tests do not run.
  const value = typeof process !== "undefined" ? process.env?.LOG_LEVEL : undefined;
  return value && value in levelOrder ? (value as LogLevel) : undefined;
}

/**
 * Errors serialise as name and message, and their cause if any (stack traces stay in logs, never
 * in responses). An absent cause is `undefined`, which JSON.stringify leaves out.
 */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  return value;
}
