/**
 * `npm run bench`: can the load generator offer 5,000 req/s at a constant rate (rate error
 * ≤ 2 %) on this machine, and what does it cost? Compared, in the same run, with a plain
 * closed loop (what autocannon/wrk do: each connection sends the next request when the
 * previous one is answered) against the same trivial server.
 *
 * The server runs in its own process so the generator has a core to itself (2 cores here).
 * Not a test: it prints figures and exits 1 only if the target is missed.
 */
import { spawn } from "node:child_process";
import * as os from "node:os";
import { runClosedLoop, runOpenLoop } from "../compare/loadgen";

const TARGET_RATE = Number(process.env.BENCH_RATE ?? 5_000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const CONNECTIONS = 64;

/** The trivial server: `node:http`, 2-byte answer, keep-alive. */
const serverSource = `
const http = require("node:http");
const server = http.createServer((req, res) => res.end("ok"));
server.keepAliveTimeout = 10000;
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
process.on("disconnect", () => process.exit(0));
`;

async function main(): Promise<void> {
  const server = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("message", (message) => resolve(message as number));
    server.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const request = () => ({ path: "/" });
  try {
    // Warm both sides (JIT, sockets) so neither measurement pays for it.
    await runClosedLoop({ baseUrl, connections: CONNECTIONS, durationMs: 500, request });

    let cpu = process.cpuUsage();
    const closed = await runClosedLoop({ baseUrl, connections: CONNECTIONS, durationMs: DURATION_MS, request });
    const closedCpu = process.cpuUsage(cpu);

    cpu = process.cpuUsage();
    const open = await runOpenLoop({ baseUrl, ratePerSecond: TARGET_RATE, durationMs: DURATION_MS, connections: CONNECTIONS, request });
    const openCpu = process.cpuUsage(cpu);

    // The rates the comparison uses: the generator mostly sleeps between sends.
    cpu = process.cpuUsage();
    const gentle = await runOpenLoop({ baseUrl, ratePerSecond: 400, durationMs: 3_000, connections: CONNECTIONS, request });
    const gentleCpu = process.cpuUsage(cpu);

    const micros = (usage: NodeJS.CpuUsage, requests: number) => (usage.user + usage.system) / Math.max(1, requests);
    const openPerRequest = micros(openCpu, open.answered);
    const closedPerRequest = micros(closedCpu, closed.completed);
    const rateError = Math.abs(open.achievedSendRate - TARGET_RATE) / TARGET_RATE;
    const lines = [
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}`,
      ``,
      `| | closed loop (baseline, ${CONNECTIONS} connections) | open loop at ${TARGET_RATE} req/s |`,
      `|---|---|---|`,
      `| answered req/s | ${closed.rate.toFixed(0)} | ${open.achievedRate.toFixed(0)} |`,
      `| offered (started) req/s | – | ${open.achievedSendRate.toFixed(0)} (rate error ${(rateError * 100).toFixed(2)} %) |`,
      `| errors | ${closed.errors} | ${open.scheduled - open.ok} |`,
      `| latency p50 / p99 (ms) | ${closed.latency.at(50).toFixed(2)} / ${closed.latency.at(99).toFixed(2)} | ${open.latency.at(50).toFixed(2)} / ${open.latency.at(99).toFixed(2)} (from intended send time) |`,
      `| generator CPU per request (µs) | ${closedPerRequest.toFixed(1)} | ${openPerRequest.toFixed(1)} |`,
      `| scheduler lag p50 / p99 (ms) | – | ${open.dispatchLag.p50.toFixed(2)} / ${open.dispatchLag.p99.toFixed(2)} |`,
      ``,
      `open-loop CPU per request / closed-loop CPU per request: ${(openPerRequest / closedPerRequest).toFixed(2)}×`,
      `open loop at 400 req/s (the comparison's range): ${micros(gentleCpu, gentle.answered).toFixed(1)} µs CPU per request, ` +
        `${(((gentleCpu.user + gentleCpu.system) / 1e6 / (gentle.elapsedMs / 1000)) * 100).toFixed(0)} % of a core, ` +
        `scheduler lag p99 ${gentle.dispatchLag.p99.toFixed(2)} ms, latency p99 ${gentle.latency.at(99).toFixed(2)} ms`,
      `open-loop headroom: the server answers ${(closed.rate / TARGET_RATE).toFixed(2)}× the target rate when pushed flat out`,
    ];
    console.log(lines.join("\n"));
    const ok = open.achievedSendRate >= TARGET_RATE * 0.98 && rateError <= 0.02 && open.ok === open.scheduled;
    console.log(ok ? `\nPASS: ${TARGET_RATE} req/s offered with rate error ≤ 2 %` : `\nMISS: target ${TARGET_RATE} req/s with rate error ≤ 2 % not met`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    server.disconnect();
    server.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
