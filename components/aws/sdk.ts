/**
 * The parts of `@pulumi/aws` this component uses, by service.
 *
 * Why not `import * as aws from "@pulumi/aws"`: the package root's declarations name every AWS
 * service (about 2,700 declaration files, 31 MB), and the typechecker reads them all, which was
 * most of `npm run typecheck`'s time. Importing the services by path gives the same classes with a
 * fraction of the declarations to parse. The root is still loaded at run time (below), so the
 * package registers its provider with `@pulumi/pulumi` as it would with a root import (a component
 * provider that receives a provider reference needs that registration).
 */
export * as apigatewayv2 from "@pulumi/aws/apigatewayv2";
export * as cloudwatch from "@pulumi/aws/cloudwatch";
export * as dynamodb from "@pulumi/aws/dynamodb";
export * as iam from "@pulumi/aws/iam";
export * as lambda from "@pulumi/aws/lambda";
export * as scheduler from "@pulumi/aws/scheduler";
export * as secretsmanager from "@pulumi/aws/secretsmanager";
export * as servicequotas from "@pulumi/aws/servicequotas";
export * as sqs from "@pulumi/aws/sqs";
export { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";

// A plain require: the typechecker does not follow it, so the root's declarations stay unread.
require("@pulumi/aws");
