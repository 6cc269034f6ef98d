/**
 * A team's Pulumi program, in plain JavaScript, using parity only through the installed package
 * (`parity/*`) and only the clouds it installed (`@pulumi/aws`, `@pulumi/cloudflare`): it deploys
 * its own `hello` (no capabilities), a queue consumer and a schedule through the AWS and
 * Cloudflare components under Pulumi mocks (and a `greet` through the component package's
 * `AwsServerless`), and prints what it built as JSON. Copied into a
 * temporary project outside the repository by test/package/pack.test.ts; never run from here.
 */
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const mockAccount = "123456789012";
const invokes = {
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: mockAccount, arn: `arn:aws:iam::${mockAccount}:user/consumer`, userId: "AIDA" },
  "aws:index/getRegion:getRegion": { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" },
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com" },
  "aws:servicequotas/getServiceQuota:getServiceQuota": { value: 1000, quotaCode: "L-B99A9384", serviceCode: "lambda" },
};
const resources = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      const name = args.inputs.name ?? args.name;
      const state = {
        ...args.inputs,
        name,
        arn: `arn:aws:${args.type.split(":")[1]}:eu-west-1:${mockAccount}:${name}`,
        url: `https://${name}.example.test`,
        apiEndpoint: "https://api.example.test",
        subdomain: "consumer",
        queueId: `${name}-queue-id`,
      };
      resources.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state };
    },
    call: (args) => invokes[args.token] ?? args.inputs,
  },
  "consumer",
  "dev",
  false,
);

// What loading one cloud's component costs: the modules `parity/aws` brings in by itself.
const { AwsFunctions } = require("parity/aws");
const modulesAfterAws = Object.keys(require.cache);
const { CloudflareFunctions } = require("parity/cloudflare");
const { defaultsFor } = require("parity/config");
const { bundleFunction } = require("parity/bundle");

// Each file is the team's own, one handler for both platforms; nothing declares a capability
// but the consumer, which reads its own queue.
const definitions = [
  { name: "hello", trigger: { kind: "http" }, entry: "src/hello.ts", capabilities: [], description: "says hello" },
  { name: "consume", trigger: { kind: "queue" }, entry: "src/consume.ts", capabilities: ["events.consume"], description: "settles each message" },
  { name: "tick", trigger: { kind: "schedule", everyMinutes: 60 }, entry: "src/tick.ts", capabilities: [], description: "runs hourly" },
];
const components = {
  aws: (functions) => new AwsFunctions("team", { functions }),
  cloudflare: (functions) => new CloudflareFunctions("team", { functions, accountId: "0123456789abcdef0123456789abcdef" }),
};

const report = { bundles: {}, functionNames: {}, wrapperFunctionNames: {}, grants: {}, resources, modulesAfterAws, modules: [] };
const pending = [];
for (const [platform, create] of Object.entries(components)) {
  const functions = definitions.map((definition) => ({ definition, settings: defaultsFor(definition), bundle: bundleFunction(definition, platform) }));
  const component = create(functions);
  report.bundles[platform] = Object.fromEntries(functions.map(({ definition, bundle }) => [definition.name, { file: bundle.file, inputs: Object.keys(bundle.metafile.inputs).map((input) => path.resolve(input)) }]));
  report.grants[platform] = component.grants.map(({ function: fn, capability, permissions }) => ({ function: fn, capability, permissions }));
  pending.push(new Promise((resolve) => pulumi.all(component.functionNames).apply((names) => resolve((report.functionNames[platform] = names)))));
}

// The component package's AWS wrapper, which Python, Go, C# and YAML programs get through
// `pulumi package add`: it too constructs with `@pulumi/aws` alone.
const { AwsServerless } = require("parity/provider");
const wrapped = new AwsServerless("wrapped", { functions: [{ name: "greet", trigger: "http", handler: "src/hello.ts" }], projectDir: __dirname });
pending.push(new Promise((resolve) => pulumi.output(wrapped.functionNames).apply((names) => resolve((report.wrapperFunctionNames = names)))));

Promise.all(pending)
  // Let the last registrations land before reporting.
  .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
  .then(() => {
    report.modules = Object.keys(require.cache);
    process.stdout.write(JSON.stringify(report));
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
