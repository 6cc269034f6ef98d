/** The part of the Lambda context object the entries read. https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html */
export interface LambdaContext {
  awsRequestId: string;
  functionName?: string;
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis?(): number;
}

/** Kept back from Lambda's remaining time: a run's last claim and publish, and its report line. */
export const REMAINING_TIME_MARGIN_MS = 2_000;

/** A run's time budget: the configured one, never more than what Lambda says remains minus the margin. */
export function timeBudgetWithin(configuredMs: number, context: { getRemainingTimeInMillis?(): number | undefined } | undefined): number {
  const remainingMs = context?.getRemainingTimeInMillis?.();
  if (remainingMs === undefined) return configuredMs;
  return Math.max(0, Math.min(configuredMs, remainingMs - REMAINING_TIME_MARGIN_MS));
}
