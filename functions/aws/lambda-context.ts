/** The part of the Lambda context object the entries read. https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html */
export interface LambdaContext {
  awsRequestId: string;
  functionName?: string;
}

/** Reads a variable the component sets on every deployed Lambda; a missing one is a deployment defect. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the AWS component sets it on each Lambda`);
  return value;
}
