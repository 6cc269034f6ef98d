/** The part of the Lambda context object the entries read. https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html */
export interface LambdaContext {
  awsRequestId: string;
  functionName?: string;
}
