/**
 * A team's Pulumi program, in plain JavaScript, using parity only through the installed package
 * (`parity/*`): it deploys its own `hello` through each of the four components under Pulumi
 * mocks and prints what it built as JSON. Copied into a temporary project outside the
 * repository by test/package/pack.test.ts; never run from here.
 */
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const mockAccount = "123456789012";
const invokes = {
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: mockAccount, arn: `arn:aws:iam::${mockAccount}:user/consumer`, userId: "AIDA" },
  "aws:index/getRegion:getRegion": { name: "eu-west-1", region: "eu-west-1", id: "eu-west-1" },
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com" },
  "aws:servicequotas/getServiceQuota:getServiceQuota": { value: 1000, quotaCode: "L-B99A9384", serviceCode: "lambda" },
  "gcp:organizations/getProject:getProject": { projectId: "consumer-project", number: "123456789012", name: "consumer-project" },
  "gcp:organizations/getClientConfig:getClientConfig": { project: "consumer-project", region: "europe-west1" },
  "azure-native:authorization:getClientConfig": { clientId: "c", objectId: "o", subscriptionId: "00000000-0000-0000-0000-000000000003", tenantId: "t" },
  "azure-native:authorization:getClientToken": { token: "consumer-token" },
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
        email: `${name}@consumer-project.iam.gserviceaccount.com`,
        defaultHostName: `${name}.azurewebsites.net`,
        subdomain: "consumer",
        result: "k3v9x2m7q8w1z5t4".slice(0, Number(args.inputs.length) || 8),
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

const { defaultsFor } = require("parity/config");
const { bundleFunction } = require("parity/bundle");
const { AwsFunctions } = require("parity/aws");
const { GcpFunctions } = require("parity/gcp");
const { AzureFunctions } = require("parity/azure");
const { CloudflareFunctions } = require("parity/cloudflare");

// As the README's "Use parity in your own program" shows it.
const hello = { name: "hello", trigger: { kind: "http" }, entry: "src/hello.ts", capabilities: [], description: "says hello" };
const apiKey = pulumi.secret("consumer-api-key-0123456789");
const components = {
  aws: (functions) => new AwsFunctions("team", { functions, apiKey }),
  gcp: (functions) => new GcpFunctions("team", { functions, apiKey }),
  azure: (functions) => new AzureFunctions("team", { functions, apiKey }),
  cloudflare: (functions) => new CloudflareFunctions("team", { functions, apiKey, accountId: "0123456789abcdef0123456789abcdef" }),
};

const report = { bundles: {}, functionNames: {}, resources, modules: [] };
const pending = [];
for (const [platform, create] of Object.entries(components)) {
  const functions = [{ definition: hello, settings: { ...defaultsFor(hello), memoryMb: 512 }, bundle: bundleFunction(hello, platform) }];
  const component = create(functions);
  const bundle = functions[0].bundle;
  report.bundles[platform] = { file: bundle.file, inputs: Object.keys(bundle.metafile.inputs).map((input) => path.resolve(input)) };
  pending.push(new Promise((resolve) => pulumi.output(component.functionNames.hello).apply((native) => resolve((report.functionNames[platform] = native)))));
}

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
