/**
 * Hostile bodies against the real Azure users-api bundle in the local host (issue 26): with HTTP
 * streaming on, the function pulls only what it reads of a body, after the key check. The body is
 * a stream that counts what was pulled from it, transferred to the host's worker thread as the
 * host proxies a streamed request. The storage endpoints are closed loopback ports: every case is
 * answered before the store is asked.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, constants } from "node:zlib";
import { bundleFunction } from "../../components/bundle";
import { catalog } from "../../components/catalog";
import { azureEnv } from "../../functions/azure/contract";
import { invokeAzureHttp } from "../../local/azure";
import { startAzureFunctionRuntime, type AzureFunctionRuntime } from "../../local/azure-functions-runtime";
import { freePort } from "../../local/emulators/loopback";

const KEY = "azure-hostile-test-key-0123456789";

function countingStream(chunkBytes: number) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.bytes += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
    },
  });
  return { stream, pulled };
}

const codeOf = async (response: Response) => [response.status, ((await response.json()) as { error: { code: string } }).error.code];

describe("azure: hostile bodies through the local host, HTTP streaming on", function () {
  this.timeout(60_000);
  let runtime: AzureFunctionRuntime;

  before(async function () {
    this.timeout(120_000);
    const bundle = bundleFunction(catalog.find((f) => f.name === "users-api")!, "azure");
    const closed = await freePort();
    runtime = startAzureFunctionRuntime({
      bundleFile: bundle.file,
      functionName: "users-api",
      env: {
        [azureEnv.apiKey]: KEY,
        [azureEnv.usersTable]: "users",
        [azureEnv.eventsQueue]: "events",
        [azureEnv.localConnectionString]: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${closed}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${closed}/devstoreaccount1;`,
      },
    });
  });
  after(async () => {
    await runtime?.stop();
  });

  const post = (body: BodyInit, headers: Record<string, string>) =>
    invokeAzureHttp(runtime, new Request("http://parity.test/users", { method: "POST", body, headers: { "content-type": "application/json", ...headers }, duplex: "half" } as RequestInit));

  it("an endless body without a key is 401 after at most a few chunks pulled", async () => {
    const { stream, pulled } = countingStream(64 * 1024);
    assert.deepEqual(await codeOf(await post(stream, {})), [401, "unauthorized"]);
    assert.ok(pulled.bytes <= 4 * 64 * 1024, `pulled ${pulled.bytes} bytes`);
  });

  it("an endless body with the key is 413 once 16 KiB have arrived; the rest is never pulled", async () => {
    const { stream, pulled } = countingStream(1024);
    assert.deepEqual(await codeOf(await post(stream, { "x-api-key": KEY })), [413, "payload_too_large"]);
    assert.ok(pulled.bytes > 16 * 1024 && pulled.bytes <= 24 * 1024, `pulled ${pulled.bytes} bytes`);
  });

  it("a brotli body is 415 unsupported_content_encoding, never inflated", async () => {
    const bomb = brotliCompressSync(Buffer.alloc(32 * 1024 * 1024, 0x61), { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
    assert.deepEqual(await codeOf(await post(new Uint8Array(bomb), { "x-api-key": KEY, "content-encoding": "br" })), [415, "unsupported_content_encoding"]);
  });
});
