/**
 * What the identity running `pulumi up` and `pulumi destroy` of this program must be allowed to
 * do, per platform, derived from what the program registers: one entry per resource type token,
 * per invoke (provider function) token, and per kind of dynamic resource (scripts/dynamic-kinds.ts),
 * each with the documentation its permissions come from. `npm run plan` prints the permissions
 * of the types and invokes a stack registers (its "Deployer permissions" section, and
 * `deployer` in --json); test/deployer-permissions.test.ts fails when the program registers a
 * type or invoke with no entry here.
 *
 * What each platform counts in:
 * - AWS: IAM actions, for create, read (refresh and every `up`), update, delete and tagging as
 *   the Terraform-based provider calls them. Source: the Service Authorization Reference
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/), one page per service.
 * - Google Cloud: predefined roles, granted on the project. Source: the IAM roles and
 *   permissions index (https://cloud.google.com/iam/docs/roles-permissions), one page per service.
 * - Azure: built-in roles, at the subscription (the program creates its resource groups).
 *   Source: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles.
 * - Cloudflare: API token permission groups, account-scoped, as the API reference names them
 *   under "Accepted Permissions" (the dashboard says "Edit" for "Write").
 *   Source: https://developers.cloudflare.com/fundamentals/api/reference/permissions/.
 */
import { platforms, type Platform } from "../components/catalog";
import { LAMBDA_QUOTA_READ_ACTIONS } from "../components/aws/rules";
import { DYNAMIC_TYPE, dynamicKindOf, type DynamicKind } from "./dynamic-kinds";
import type { RecordedResource } from "./offline";

export interface PermissionEntry {
  /** The platform whose deployer needs them; `none` for what touches no cloud (components, local randomness). */
  platform: Platform | "none";
  /** IAM actions (aws), roles (gcp, azure) or token permission groups (cloudflare); empty when none is needed. */
  permissions: readonly string[];
  /** Where the permissions come from. */
  source: string;
  /** Why, where the list alone does not say. */
  note?: string;
}

const AWS_REFERENCE = "https://docs.aws.amazon.com/service-authorization/latest/reference";
const awsTag = (service: string) => [`${service}:TagResource`, `${service}:UntagResource`];

/**
 * `iam:PassRole` on the role a Lambda function or an EventBridge Scheduler schedule runs as: the
 * service assumes it on the deployer's behalf. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 */
const PASS_ROLE = "iam:PassRole";

/** Resource types: every type the program registers, by its token. */
export const resourcePermissions: Record<string, PermissionEntry> = {
  // AWS --------------------------------------------------------------------------------------
  // API Gateway HTTP APIs are authorised by HTTP verb on the API's path (apigateway:GET on
  // arn:aws:apigateway:<region>::/apis/*, …): list_amazonapigatewaymanagementv2.html.
  "aws:apigatewayv2/api:Api": { platform: "aws", permissions: ["apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"], source: `${AWS_REFERENCE}/list_amazonapigatewaymanagementv2.html` },
  "aws:apigatewayv2/integration:Integration": { platform: "aws", permissions: ["apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"], source: `${AWS_REFERENCE}/list_amazonapigatewaymanagementv2.html` },
  "aws:apigatewayv2/route:Route": { platform: "aws", permissions: ["apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"], source: `${AWS_REFERENCE}/list_amazonapigatewaymanagementv2.html` },
  "aws:apigatewayv2/stage:Stage": { platform: "aws", permissions: ["apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"], source: `${AWS_REFERENCE}/list_amazonapigatewaymanagementv2.html` },
  "aws:cloudwatch/logGroup:LogGroup": {
    platform: "aws",
    permissions: ["logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DeleteLogGroup", "logs:ListTagsForResource", ...awsTag("logs")],
    source: `${AWS_REFERENCE}/list_amazoncloudwatchlogs.html`,
  },
  "aws:dynamodb/table:Table": {
    platform: "aws",
    // Point-in-time recovery and deletion protection are set (protectData) and read back on every refresh.
    permissions: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", ...awsTag("dynamodb")],
    source: `${AWS_REFERENCE}/list_amazondynamodb.html`,
  },
  "aws:iam/role:Role": {
    platform: "aws",
    // Deleting a role first lists what is attached to it (the provider detaches before DeleteRole).
    permissions: ["iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"],
    source: `${AWS_REFERENCE}/list_awsidentityandaccessmanagementiam.html`,
  },
  "aws:iam/rolePolicy:RolePolicy": { platform: "aws", permissions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"], source: `${AWS_REFERENCE}/list_awsidentityandaccessmanagementiam.html` },
  "aws:lambda/function:Function": {
    platform: "aws",
    permissions: [
      "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetRuntimeManagementConfig",
      "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "lambda:ListVersionsByFunction",
      "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:DeleteFunction", "lambda:ListTags", ...awsTag("lambda"), PASS_ROLE,
    ],
    source: `${AWS_REFERENCE}/list_awslambda.html`,
    note: "iam:PassRole on the function's own role only",
  },
  "aws:lambda/alias:Alias": { platform: "aws", permissions: ["lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"], source: `${AWS_REFERENCE}/list_awslambda.html` },
  "aws:lambda/eventSourceMapping:EventSourceMapping": {
    platform: "aws",
    permissions: ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
    source: `${AWS_REFERENCE}/list_awslambda.html`,
  },
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {
    platform: "aws",
    permissions: ["lambda:PutFunctionEventInvokeConfig", "lambda:GetFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig"],
    source: `${AWS_REFERENCE}/list_awslambda.html`,
  },
  "aws:lambda/permission:Permission": { platform: "aws", permissions: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"], source: `${AWS_REFERENCE}/list_awslambda.html` },
  "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": {
    platform: "aws",
    permissions: ["lambda:PutProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig", "lambda:DeleteProvisionedConcurrencyConfig"],
    source: `${AWS_REFERENCE}/list_awslambda.html`,
  },
  "aws:scheduler/schedule:Schedule": {
    platform: "aws",
    permissions: ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", PASS_ROLE],
    source: `${AWS_REFERENCE}/list_amazoneventbridgescheduler.html`,
    note: "iam:PassRole on the schedule's own role only",
  },
  "aws:secretsmanager/secret:Secret": {
    platform: "aws",
    permissions: ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", ...awsTag("secretsmanager")],
    source: `${AWS_REFERENCE}/list_awssecretsmanager.html`,
  },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    platform: "aws",
    permissions: ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds", "secretsmanager:UpdateSecretVersionStage"],
    source: `${AWS_REFERENCE}/list_awssecretsmanager.html`,
  },
  "aws:sqs/queue:Queue": {
    platform: "aws",
    permissions: ["sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:DeleteQueue", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue"],
    source: `${AWS_REFERENCE}/list_amazonsqs.html`,
  },
  "parity:aws:Functions": { platform: "none", permissions: [], source: "components/aws/component.ts", note: "a component resource: it exists in the Pulumi state only" },

  // Google Cloud -----------------------------------------------------------------------------
  "gcp:projects/service:Service": { platform: "gcp", permissions: ["roles/serviceusage.serviceUsageAdmin"], source: "https://cloud.google.com/iam/docs/roles-permissions/serviceusage", note: "enables the APIs the stack uses" },
  "gcp:projects/serviceIdentity:ServiceIdentity": {
    platform: "gcp",
    permissions: ["roles/serviceusage.serviceUsageAdmin"],
    source: "https://cloud.google.com/iam/docs/roles-permissions/serviceusage",
    note: "services.generateServiceIdentity (https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services/generateServiceIdentity)",
  },
  "gcp:serviceaccount/account:Account": { platform: "gcp", permissions: ["roles/iam.serviceAccountAdmin"], source: "https://cloud.google.com/iam/docs/roles-permissions/iam" },
  "gcp:serviceaccount/iAMMember:IAMMember": { platform: "gcp", permissions: ["roles/iam.serviceAccountAdmin"], source: "https://cloud.google.com/iam/docs/roles-permissions/iam", note: "iam.serviceAccounts.setIamPolicy" },
  "gcp:projects/iAMMember:IAMMember": {
    platform: "gcp",
    permissions: ["roles/resourcemanager.projectIamAdmin"],
    source: "https://cloud.google.com/iam/docs/roles-permissions/resourcemanager",
    note: "project-level grants (the build identity's, issue 25 #1); a condition can limit the roles it may grant",
  },
  "gcp:storage/bucket:Bucket": { platform: "gcp", permissions: ["roles/storage.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/storage" },
  "gcp:storage/bucketObject:BucketObject": { platform: "gcp", permissions: ["roles/storage.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/storage" },
  "gcp:artifactregistry/repository:Repository": { platform: "gcp", permissions: ["roles/artifactregistry.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/artifactregistry" },
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": { platform: "gcp", permissions: ["roles/artifactregistry.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/artifactregistry", note: "artifactregistry.repositories.setIamPolicy" },
  "gcp:cloudfunctionsv2/function:Function": {
    platform: "gcp",
    permissions: ["roles/cloudfunctions.developer", "roles/iam.serviceAccountUser"],
    source: "https://cloud.google.com/functions/docs/reference/iam/roles",
    note: "Service Account User on the function's runtime and build service accounts (\"Additional configuration for deployment\")",
  },
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": { platform: "gcp", permissions: ["roles/run.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/run", note: "run.services.setIamPolicy" },
  "gcp:cloudscheduler/job:Job": {
    platform: "gcp",
    permissions: ["roles/cloudscheduler.admin", "roles/iam.serviceAccountUser"],
    source: "https://cloud.google.com/iam/docs/roles-permissions/cloudscheduler",
    note: "Service Account User on the identity whose OIDC token the job sends",
  },
  "gcp:firestore/database:Database": { platform: "gcp", permissions: ["roles/datastore.owner"], source: "https://cloud.google.com/iam/docs/roles-permissions/datastore" },
  "gcp:pubsub/topic:Topic": { platform: "gcp", permissions: ["roles/pubsub.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/pubsub" },
  "gcp:pubsub/topicIAMMember:TopicIAMMember": { platform: "gcp", permissions: ["roles/pubsub.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/pubsub" },
  "gcp:pubsub/subscription:Subscription": {
    platform: "gcp",
    permissions: ["roles/pubsub.admin", "roles/iam.serviceAccountUser"],
    source: "https://cloud.google.com/iam/docs/roles-permissions/pubsub",
    note: "Service Account User on the identity whose OIDC token the push subscription sends",
  },
  "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": { platform: "gcp", permissions: ["roles/pubsub.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/pubsub" },
  "gcp:secretmanager/secret:Secret": { platform: "gcp", permissions: ["roles/secretmanager.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/secretmanager" },
  "gcp:secretmanager/secretVersion:SecretVersion": { platform: "gcp", permissions: ["roles/secretmanager.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/secretmanager" },
  "gcp:secretmanager/secretIamMember:SecretIamMember": { platform: "gcp", permissions: ["roles/secretmanager.admin"], source: "https://cloud.google.com/iam/docs/roles-permissions/secretmanager" },
  "parity:gcp:Functions": { platform: "none", permissions: [], source: "components/gcp/component.ts", note: "a component resource: it exists in the Pulumi state only" },

  // Azure ------------------------------------------------------------------------------------
  // Contributor: "Grants full access to manage all resources, but does not allow you to assign
  // roles in Azure RBAC" (built-in-roles/privileged#contributor); at the subscription, since the
  // program creates its resource group (Microsoft.Resources/subscriptions/resourceGroups/write).
  "azure-native:resources:ResourceGroup": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor", note: "at the subscription" },
  "azure-native:applicationinsights:Component": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:operationalinsights:Workspace": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:managedidentity:UserAssignedIdentity": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:keyvault:Vault": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:keyvault:Secret": {
    platform: "azure",
    permissions: ["Contributor"],
    source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor",
    note: "written through Azure Resource Manager (Microsoft.KeyVault/vaults/secrets/write), not the vault's data plane",
  },
  "azure-native:storage:StorageAccount": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:storage:BlobContainer": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:storage:Queue": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:storage:Table": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:web:AppServicePlan": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:web:WebApp": { platform: "azure", permissions: ["Contributor"], source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#contributor" },
  "azure-native:authorization:RoleAssignment": {
    platform: "azure",
    permissions: ["Role Based Access Control Administrator"],
    source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged#role-based-access-control-administrator",
    note: "Contributor excludes Microsoft.Authorization/*/Write; a condition on this role can limit it to the roles the program assigns",
  },
  "parity:azure:Functions": { platform: "none", permissions: [], source: "components/azure/component.ts", note: "a component resource: it exists in the Pulumi state only" },

  // Cloudflare -------------------------------------------------------------------------------
  "cloudflare:index/d1Database:D1Database": { platform: "cloudflare", permissions: ["D1 Write"], source: "https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/create/" },
  "cloudflare:index/queue:Queue": { platform: "cloudflare", permissions: ["Queues Write"], source: "https://developers.cloudflare.com/api/resources/queues/methods/create/" },
  "cloudflare:index/queueConsumer:QueueConsumer": { platform: "cloudflare", permissions: ["Queues Write"], source: "https://developers.cloudflare.com/api/resources/queues/subresources/consumers/methods/create/" },
  "cloudflare:index/workersScript:WorkersScript": { platform: "cloudflare", permissions: ["Workers Scripts Write"], source: "https://developers.cloudflare.com/api/resources/workers/subresources/scripts/methods/update/" },
  "cloudflare:index/workersCronTrigger:WorkersCronTrigger": { platform: "cloudflare", permissions: ["Workers Scripts Write"], source: "https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/schedules/methods/update/" },
  "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain": { platform: "cloudflare", permissions: ["Workers Scripts Write"], source: "https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/subdomain/methods/create/" },
  "parity:cloudflare:Functions": { platform: "none", permissions: [], source: "components/cloudflare/component.ts", note: "a component resource: it exists in the Pulumi state only" },

  // No cloud ---------------------------------------------------------------------------------
  "random:index/randomString:RandomString": { platform: "none", permissions: [], source: "https://www.pulumi.com/registry/packages/random/", note: "made by the random provider on the deploying machine" },
};

/** Provider functions (invokes) the program calls, by token. */
export const invokePermissions: Record<string, PermissionEntry> = {
  "aws:index/getCallerIdentity:getCallerIdentity": {
    platform: "aws",
    permissions: [],
    source: "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
    note: "sts:GetCallerIdentity: \"No permissions are required to perform this operation\"",
  },
  // The provider reads the default before the applied value (terraform-provider-aws
  // internal/service/servicequotas/service_quota_data_source.go); without them the program warns
  // and deploys on (components/aws/component.ts checkAccountConcurrency).
  "aws:servicequotas/getServiceQuota:getServiceQuota": {
    platform: "aws",
    permissions: [...LAMBDA_QUOTA_READ_ACTIONS],
    source: `${AWS_REFERENCE}/list_servicequotas.html`,
    note: "the Lambda concurrency check; without these actions it warns instead of checking",
  },
  "gcp:organizations/getProject:getProject": { platform: "gcp", permissions: ["roles/browser"], source: "https://cloud.google.com/iam/docs/roles-permissions/resourcemanager", note: "resourcemanager.projects.get (the project number)" },
  "gcp:organizations/getClientConfig:getClientConfig": {
    platform: "gcp",
    permissions: [],
    source: "https://www.pulumi.com/registry/packages/gcp/api-docs/organizations/getclientconfig/",
    note: "reads the provider's own configuration; no Google API call",
  },
  "azure-native:authorization:getClientConfig": {
    platform: "azure",
    permissions: [],
    source: "https://www.pulumi.com/registry/packages/azure-native/api-docs/authorization/getclientconfig/",
    note: "reads the provider's own credential; no role needed",
  },
  "azure-native:authorization:getClientToken": {
    platform: "azure",
    permissions: [],
    source: "https://www.pulumi.com/registry/packages/azure-native/api-docs/authorization/getclienttoken/",
    note: "a token for the provider's own credential; no role needed",
  },
};

/** Dynamic resources: what each kind's provider calls, by the deployer's credential. */
export const dynamicPermissions: Record<DynamicKind, PermissionEntry> = {
  OneDeploy: {
    platform: "azure",
    permissions: ["Contributor"],
    source: "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/web-and-mobile#website-contributor",
    note: "POST <scm>/api/publish with a Microsoft Entra token: Microsoft.Web/sites/publish/Action, in Contributor (and Website Contributor)",
  },
  D1Migrations: { platform: "cloudflare", permissions: ["D1 Write"], source: "https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/query/" },
  WorkersDevSubdomain: { platform: "cloudflare", permissions: ["Workers Scripts Read"], source: "https://developers.cloudflare.com/api/resources/workers/subresources/subdomains/methods/get/" },
  IamPropagationWait: { platform: "gcp", permissions: [], source: "components/gcp/iam-wait.ts", note: "waits in the deploying process; no cloud call" },
};

/** One row of what a stack needs: a registered type, invoke or dynamic kind, its count and its entry. */
export interface DeployerNeed extends PermissionEntry {
  /** The type token, `invoke <token>`, or `dynamic <kind>`. */
  what: string;
  count: number;
}

export interface DeployerPermissions {
  /** Per platform: every permission its deployer needs (sorted), and the rows it comes from. */
  platforms: Partial<Record<Platform, { permissions: string[]; needs: DeployerNeed[] }>>;
  /** Rows for what touches no cloud (components, randomness). */
  none: DeployerNeed[];
  /** Registered types and invokes with no entry: each is a permission nobody has checked. */
  missing: string[];
}

/** What the deployer of a graph needs: every registered type, dynamic kind and invoke, through the tables above. */
export function deployerPermissionsFor(resources: readonly Pick<RecordedResource, "type" | "name" | "inputs">[], invoked: readonly string[]): DeployerPermissions {
  const counts = new Map<string, { count: number; entry: PermissionEntry | undefined }>();
  const count = (what: string, entry: PermissionEntry | undefined) => {
    const seen = counts.get(what);
    if (seen) seen.count++;
    else counts.set(what, { count: 1, entry });
  };
  for (const r of resources) {
    if (r.type === DYNAMIC_TYPE) {
      let kind: DynamicKind | undefined;
      try {
        kind = dynamicKindOf(r);
      } catch {
        count(`dynamic ${r.name}`, undefined);
        continue;
      }
      count(`dynamic ${kind}`, dynamicPermissions[kind]);
    } else {
      count(r.type, resourcePermissions[r.type]);
    }
  }
  for (const token of invoked) count(`invoke ${token}`, invokePermissions[token]);

  const result: DeployerPermissions = { platforms: {}, none: [], missing: [] };
  for (const [what, { count: n, entry }] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    if (!entry) {
      result.missing.push(what);
      continue;
    }
    const need: DeployerNeed = { what, count: n, ...entry };
    if (entry.platform === "none") {
      result.none.push(need);
      continue;
    }
    const platform = (result.platforms[entry.platform] ??= { permissions: [], needs: [] });
    platform.needs.push(need);
    platform.permissions = [...new Set([...platform.permissions, ...entry.permissions])].sort();
  }
  // In the catalog's platform order, as every other section of the plan.
  result.platforms = Object.fromEntries(platforms.filter((p) => result.platforms[p]).map((p) => [p, result.platforms[p]]));
  return result;
}
