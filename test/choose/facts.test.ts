/**
 * The limits come from the rules modules, never from a copy: each fact holds the rules
 * module's own value (the same object), cites a URL that module cites, and a change to the
 * module's limit changes the verdict.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { awsLimits } from "../../components/aws/rules";
import { ACK_DEADLINE_RANGE, MAX_DELIVERY_ATTEMPTS_RANGE, MAX_HTTP_TIMEOUT_SECONDS, MAX_REQUEST_CONCURRENCY, memoryTiers } from "../../components/gcp/rules";
import { azureLimits } from "../../components/azure/rules";
import { cloudflareLimits } from "../../components/cloudflare/rules";
import { allowedEveryMinutes } from "../../components/schedule";
import { settingRanges } from "../../components/config";
import { facts } from "../../choose/facts";
import { memory, maxRequestSeconds } from "../../choose/verdict";

const root = path.join(__dirname, "..", "..");

describe("choose: facts", () => {
  it("are the rules modules' own values", () => {
    assert.equal(facts.aws.memoryMb.value, awsLimits.memoryMb);
    assert.equal(facts.aws.timeoutSeconds.value, awsLimits.timeoutSeconds);
    assert.equal(facts.aws.httpIntegrationTimeoutSeconds.value, awsLimits.httpIntegrationTimeoutSeconds);
    assert.equal(facts.aws.sqsBatchSize.value, awsLimits.sqsBatchSize);
    assert.equal(facts.aws.maxReceiveCount.value, awsLimits.maxReceiveCount);
    assert.equal(facts.aws.unreservedConcurrencyFloor.value, awsLimits.unreservedConcurrencyFloor);
    assert.equal(facts.gcp.memoryTiers.value, memoryTiers);
    assert.equal(facts.gcp.httpTimeoutSeconds.value, MAX_HTTP_TIMEOUT_SECONDS);
    assert.equal(facts.gcp.ackDeadlineSeconds.value, ACK_DEADLINE_RANGE);
    assert.equal(facts.gcp.maxDeliveryAttempts.value, MAX_DELIVERY_ATTEMPTS_RANGE);
    assert.equal(facts.gcp.maxRequestConcurrency.value, MAX_REQUEST_CONCURRENCY);
    assert.equal(facts.azure.instanceMemoryMb.value, azureLimits.instanceMemoryMb);
    assert.equal(facts.azure.maximumInstanceCount.value, azureLimits.maximumInstanceCount);
    assert.equal(facts.azure.httpResponseSeconds.value, azureLimits.httpResponseSeconds);
    assert.equal(facts.azure.queueBatchSize.value, azureLimits.queueBatchSize);
    assert.equal(facts.cloudflare.memoryMb.value, cloudflareLimits.memoryMb);
    assert.equal(facts.cloudflare.cpuMs.value, cloudflareLimits.cpuMs);
    assert.equal(facts.cloudflare.queue.value, cloudflareLimits.queue);
    assert.equal(facts.parity.everyMinutes.value, allowedEveryMinutes);
    assert.equal(facts.parity.reservedConcurrency.value, settingRanges.reservedConcurrency);
  });

  it("cite a URL their rules module cites", () => {
    for (const [platform, table] of Object.entries(facts)) {
      for (const [name, fact] of Object.entries(table)) {
        if (!fact.source.startsWith("https://")) continue;
        const text = fs.readFileSync(path.join(root, fact.module), "utf8");
        assert.ok(text.includes(fact.source), `${platform}.${name}: ${fact.source} is not cited in ${fact.module}`);
      }
    }
  });

  it("follow a change in the rules module (the verdict reads the module's object, not a copy)", () => {
    const limits = awsLimits.memoryMb as { max: number };
    const original = limits.max;
    assert.equal(memory("aws", 12_000)[0].verdict, "no");
    try {
      limits.max = 16_384;
      assert.equal(memory("aws", 12_000)[0].verdict, "fits");
      assert.match(memory("aws", 12_000)[0].text, /128–16384 MB/);
    } finally {
      limits.max = original;
    }
    const azure = azureLimits as { httpResponseSeconds: number };
    const seconds = azure.httpResponseSeconds;
    try {
      azure.httpResponseSeconds = 600;
      assert.equal(maxRequestSeconds("azure", 300)[0].verdict, "fits");
    } finally {
      azure.httpResponseSeconds = seconds;
    }
    assert.equal(maxRequestSeconds("azure", 300)[0].verdict, "no");
  });
});
