/**
 * Run as a child process by cloud.test.ts, so that its module cache holds only what the local
 * cloud itself loaded: starts every platform with the hello catalog, calls each, reports
 * the answers and every `@pulumi/*` module that was loaded, then stops.
 */
import { startLocalCloud } from "../../local/cloud";
import { helloCatalog } from "../fixtures/hello/catalog";

async function main(): Promise<void> {
  const cloud = await startLocalCloud({ stack: "dev", catalog: helloCatalog });
  try {
    const answers: Record<string, { status: number; body: unknown; url: string | undefined }> = {};
    for (const platform of cloud.running) {
      const response = await fetch(`${platform.url}/greet`);
      answers[platform.platform] = { status: response.status, body: await response.json(), url: platform.url };
    }
    const pulumiModules = Object.keys(require.cache).filter((file) => /[\\/]node_modules[\\/]@pulumi[\\/]/.test(file));
    process.stdout.write(JSON.stringify({ answers, unavailable: cloud.unavailable, pulumiModules, nativeSettings: Object.fromEntries(cloud.running.map((p) => [p.platform, p.nativeSettings])) }));
  } finally {
    await cloud.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
