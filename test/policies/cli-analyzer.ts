/**
 * The policy pack loaded the way the Pulumi CLI loads it for `pulumi preview --policy-pack policies`:
 * `node @pulumi/pulumi/cmd/run-policy-pack <engine address> <absolute pack dir>` started in the
 * pack directory (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go: "we must set the
 * plugin's pwd to the policy pack directory"; sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 * RunPlugin passes the program directory last for analyzers). It registers ts-node with
 * type-checking on (cmd/run-policy-pack/run.ts), compiles policies/index.ts, whose PolicyPack
 * prints the port of its Analyzer gRPC server on stdout (@pulumi/policy server.ts `serve`).
 *
 * The engine address names a stand-in for the CLI's engine host (proto/pulumi/engine.proto,
 * the Engine service: Log, GetRootResource, SetRootResource, StartDebugging,
 * RequirePulumiVersion); it records what the pack logs there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { diagnosticsOf, type AnalyzerDiagnostic } from "../../scripts/analyzer-requests";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const emptyProto = require("google-protobuf/google/protobuf/empty_pb");

export const PACK_DIR = path.resolve(__dirname, "../../policies");

export interface PolicyInfo {
  name: string;
  enforcementLevel: number;
}

export interface CliAnalyzer {
  info(): Promise<{ name: string; version: string; policies: PolicyInfo[] }>;
  configureStack(stack: string, dryRun: boolean): Promise<void>;
  analyze(request: unknown): Promise<AnalyzerDiagnostic[]>;
  analyzeStack(request: unknown): Promise<AnalyzerDiagnostic[]>;
  /** What the pack logged through the stand-in engine: severity and message. */
  engineLogs: { severity: number; message: string }[];
  /** From start to the port on stdout: ts-node's type-checked compile of the pack, and the server's start. */
  startup: { wallSeconds: number; cpuSeconds: number };
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // Fields 14 and 15 of proc(5) (utime, stime), here at 11 and 12 after the command; clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function startEngine(logs: CliAnalyzer["engineLogs"]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const empty = () => new emptyProto.Empty();
  server.addService(engineRpc.EngineService, {
    log: (call: any, callback: any) => {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
      callback(null, empty());
    },
    getRootResource: (_call: any, callback: any) => callback(null, new engineProto.GetRootResourceResponse()),
    setRootResource: (_call: any, callback: any) => callback(null, new engineProto.SetRootResourceResponse()),
    startDebugging: (_call: any, callback: any) => callback(null, empty()),
    requirePulumiVersion: (_call: any, callback: any) => callback(null, new engineProto.RequirePulumiVersionResponse()),
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve({ server, address: `127.0.0.1:${port}` }))),
  );
}

/** Starts the stand-in engine and the pack, and connects to the pack's Analyzer server. */
export async function startCliAnalyzer(): Promise<CliAnalyzer> {
  const engineLogs: CliAnalyzer["engineLogs"] = [];
  const engine = await startEngine(engineLogs);
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [runPolicyPack, engine.address, PACK_DIR], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  let port: number;
  let startup: CliAnalyzer["startup"];
  try {
    port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      child.stdout!.on("data", (chunk) => {
        stdout += chunk;
        const line = /^(\d+)\r?\n/.exec(stdout);
        if (line) {
          startup = { wallSeconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: cpuSecondsOf(child.pid!) };
          resolve(Number(line[1]));
        }
      });
      child.on("exit", (code) => reject(new Error(`run-policy-pack exited (${code}) before printing a port:\n${stderr}`)));
      child.on("error", reject);
    });
  } catch (error) {
    engine.server.forceShutdown();
    throw error;
  }
  const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  const call = <T>(method: string, request: unknown, read: (response: any) => T) =>
    new Promise<T>((resolve, reject) => client[method](request, (error: unknown, response: unknown) => (error ? reject(error) : resolve(read(response)))));
  return {
    info: () =>
      call("getAnalyzerInfo", new emptyProto.Empty(), (r) => ({
        name: r.getName(),
        version: r.getVersion(),
        policies: r.getPoliciesList().map((p: any) => ({ name: p.getName(), enforcementLevel: p.getEnforcementlevel() })),
      })),
    configureStack: (stack, dryRun) => {
      // What the CLI sends before analysing (analyzer_plugin.go, NewPolicyAnalyzer: ConfigureStack).
      const request = new analyzerProto.AnalyzerStackConfigureRequest();
      request.setStack(stack);
      request.setProject("parity");
      request.setDryRun(dryRun);
      return call("configureStack", request, () => undefined);
    },
    analyze: (request) => call("analyze", request, diagnosticsOf),
    analyzeStack: (request) => call("analyzeStack", request, diagnosticsOf),
    engineLogs,
    get startup() {
      return startup;
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await new Promise<void>((resolve) => engine.server.tryShutdown(() => resolve()));
    },
  };
}
