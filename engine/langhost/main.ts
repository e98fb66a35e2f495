import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A Node.js language host for the real Pulumi CLI, used when the Go one
 * (`pulumi-language-nodejs`) cannot be built here: the Go module proxy this
 * workplace reaches refuses its module (docs/real-engine.md). It speaks the
 * engine's LanguageRuntime protocol and runs programs and policy packs with
 * the SDK's own launchers (`@pulumi/pulumi/cmd/run` and
 * `cmd/run-policy-pack`), as the Go host does: the program, its runtime, its
 * resource monitor traffic and the policy pack are the SDK's; only this
 * launcher is ours. The executable `pulumi-language-nodejs` the rehearsal puts
 * on PATH runs this file.
 *
 * Prints exactly one line on stdout (the port), as every Pulumi plugin must.
 */

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const langproto = require("@pulumi/pulumi/proto/language_pb");
const pluginproto = require("@pulumi/pulumi/proto/plugin_pb");

/** The version this host reports (the SDK's, which the CLI was built at). */
export const LANGHOST_VERSION: string = require("@pulumi/pulumi/package.json").version;

/** Exit code of a Node.js program that already reported its error to the engine (the SDK's `cmd/run`). */
const EXITED_AFTER_LOGGING = 32;

/** One resource plugin a program needs, from its dependencies' `pulumi` package.json fields. */
export interface RequiredPlugin {
  readonly name: string;
  readonly version: string;
  readonly server?: string;
}

/**
 * Every resource plugin the program in `programDir` requests: for each
 * dependency in its package.json whose own package.json says
 * `"pulumi": {"resource": true}`, its name and version (a leading `v` dropped),
 * as the SDKs request them at run time.
 */
export function requiredPlugins(programDir: string): RequiredPlugin[] {
  const pkgFile = path.join(programDir, "package.json");
  if (!fs.existsSync(pkgFile)) return [];
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { dependencies?: Record<string, string> };
  const out: RequiredPlugin[] = [];
  for (const dep of Object.keys(pkg.dependencies ?? {}).sort()) {
    let meta: { version?: string; pulumi?: { resource?: boolean; name?: string; version?: string; server?: string } };
    try {
      meta = JSON.parse(fs.readFileSync(require.resolve(`${dep}/package.json`, { paths: [programDir] }), "utf8"));
    } catch {
      continue;
    }
    if (!meta.pulumi?.resource) continue;
    const version = (meta.pulumi.version ?? meta.version ?? "").replace(/^v/, "");
    out.push({ name: meta.pulumi.name ?? dep.replace(/^@[^/]+\//, ""), version, ...(meta.pulumi.server ? { server: meta.pulumi.server } : {}) });
  }
  return out;
}

function sdkEntry(dir: string, cmd: "run" | "run-policy-pack"): string {
  return require.resolve(`@pulumi/pulumi/cmd/${cmd}`, { paths: [dir] });
}

function optionsOf(info: any): Record<string, unknown> {
  return info?.getOptions?.()?.toJavaScript?.() ?? {};
}

function runtimeEnv(options: Record<string, unknown>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  if (typeof options.nodeargs === "string") env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${options.nodeargs}`.trim();
  return env;
}

/** Starts the host; resolves with the port it listens on. */
export async function serveLanguageHost(engineAddress: string | undefined): Promise<number> {
  let engine = engineAddress;
  const impl = {
    handshake(call: any, cb: any) {
      engine = call.request.getEngineAddress() || engine;
      cb(null, new langproto.LanguageHandshakeResponse());
    },
    getPluginInfo(_call: any, cb: any) {
      const r = new pluginproto.PluginInfo();
      r.setVersion(LANGHOST_VERSION);
      cb(null, r);
    },
    getRequiredPackages(call: any, cb: any) {
      const r = new langproto.GetRequiredPackagesResponse();
      r.setPackagesList(requiredPlugins(call.request.getInfo().getProgramDirectory()).map(toDependency));
      cb(null, r);
    },
    getProgramDependencies(_call: any, cb: any) {
      cb(null, new langproto.GetProgramDependenciesResponse());
    },
    installDependencies(call: any) {
      call.end();
    },
    about(_call: any, cb: any) {
      const r = new langproto.AboutResponse();
      r.setExecutable(process.execPath);
      r.setVersion(process.version);
      cb(null, r);
    },
    run(call: any, cb: any) {
      const req = call.request;
      const info = req.getInfo();
      const programDir: string = info?.getProgramDirectory() || req.getPwd();
      const entry: string = info?.getEntryPoint() || req.getProgram() || ".";
      const config: Record<string, string> = {};
      req.getConfigMap().forEach((v: string, k: string) => (config[k] = v));
      const args = [
        sdkEntry(programDir, "run"),
        `--monitor=${req.getMonitorAddress()}`,
        ...(engine ? [`--engine=${engine}`] : []),
        `--project=${req.getProject()}`,
        `--stack=${req.getStack()}`,
        `--pwd=${req.getPwd()}`,
        ...(req.getOrganization() ? [`--organization=${req.getOrganization()}`] : []),
        ...(info?.getRootDirectory() ? [`--root-directory=${info.getRootDirectory()}`] : []),
        ...(req.getDryrun() ? ["--dry-run"] : []),
        ...(req.getParallel() ? [`--parallel=${req.getParallel()}`] : []),
        entry,
        ...req.getArgsList(),
      ];
      const child = spawn(process.execPath, args, {
        cwd: req.getPwd() || programDir,
        stdio: ["ignore", "inherit", "inherit"],
        env: {
          ...process.env,
          ...runtimeEnv(optionsOf(info)),
          PULUMI_CONFIG: JSON.stringify(config),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
        },
      });
      const r = new langproto.RunResponse();
      child.once("error", (err) => {
        r.setError(`could not start node for the program: ${err.message}`);
        cb(null, r);
      });
      child.once("exit", (code, signal) => {
        if (code === EXITED_AFTER_LOGGING) r.setBail(true);
        else if (code !== 0) r.setError(signal ? `Program exited on ${signal}` : `Program exited with non-zero exit code: ${code}`);
        cb(null, r);
      });
    },
    runPlugin(call: any) {
      const req = call.request;
      const info = req.getInfo();
      const dir: string = info.getProgramDirectory();
      const kind: string = req.getKind();
      const env: NodeJS.ProcessEnv = { ...process.env, ...runtimeEnv(optionsOf(info)) };
      for (const kv of req.getEnvList() as string[]) {
        const i = kv.indexOf("=");
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const args = kind === "analyzer" ? [sdkEntry(dir, "run-policy-pack"), ...req.getArgsList(), dir] : [require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [dir] }), dir, ...req.getArgsList()];
      const child = spawn(process.execPath, args, { cwd: req.getPwd() || dir, stdio: ["ignore", "pipe", "pipe"], env });
      const send = (set: "setStdout" | "setStderr") => (chunk: Buffer) => {
        const m = new langproto.RunPluginResponse();
        m[set](chunk);
        call.write(m);
      };
      child.stdout!.on("data", send("setStdout"));
      child.stderr!.on("data", send("setStderr"));
      call.on("cancelled", () => child.kill("SIGTERM"));
      child.once("close", (code) => {
        const m = new langproto.RunPluginResponse();
        m.setExitcode(code ?? 1);
        call.write(m);
        call.end();
      });
    },
  };
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(langrpc.LanguageRuntimeService, impl as any);
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function toDependency(p: RequiredPlugin): unknown {
  const d = new pluginproto.PackageDependency();
  d.setName(p.name);
  d.setKind("resource");
  d.setVersion(p.version);
  if (p.server) d.setServer(p.server);
  return d;
}

if (require.main === module) {
  // The engine passes flags (e.g. -v=9, --tracing x) before its address, which comes last.
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith("-") && all[i - 1] !== "--tracing");
  serveLanguageHost(positional[positional.length - 1])
    .then((port) => process.stdout.write(`${port}\n`))
    .catch((err) => {
      process.stderr.write(`spive language host: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
