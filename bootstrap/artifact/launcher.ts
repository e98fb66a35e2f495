import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Runs the SpiveProdBootstrap release artifact — a container image in the
 * Spive Artifact Registry, pinned by version in `spive:bootstrap.artifact` —
 * as the bootstrap instance, with Docker Engine in the deployment container
 * (docs/bootstrap.md, "The instance command"). It is the instance command of
 * prod0: the driver adds `--log`, `--binding`, `--listen` (and `--check`),
 * which are passed to the container unchanged; the files they name (and the
 * binding's token file) are mounted read-only at the same paths, and the
 * container shares the host network so `--listen 127.0.0.1:0` and the
 * loopback doubles of the dry replay work as for a local process.
 *
 * With `--check` it first makes sure the image can be pulled, and refuses in
 * one sentence when it cannot (so `pulumi up -s prod0` stops in the dry-replay
 * phase, before anything is wiped); then the container's own `--check` runs.
 */

/** The artifact: image and version, and the runtime that runs it. */
export interface ArtifactSpec {
  /** The image without tag, e.g. `europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap`. */
  readonly image: string;
  /** The release version (the tag). */
  readonly version: string;
  /** The container runtime (Docker Engine). */
  readonly runtime: "docker";
}

/** The image reference: `<image>:<version>`. */
export function artifactRef(a: Pick<ArtifactSpec, "image" | "version">): string {
  return `${a.image}:${a.version}`;
}

/** The instance command words that run `a` through this launcher (what prod0's driver starts). */
export function artifactCommand(a: ArtifactSpec): string {
  return `node --require tsx/cjs bootstrap/artifact/bin.ts --image ${a.image} --version ${a.version} --runtime ${a.runtime} --`;
}

/**
 * The folders to mount read-only: those of the `--log` and `--binding` files
 * and of the binding's token file, each once.
 */
export function mountsFor(instanceArgs: readonly string[], readFile: (f: string) => string = (f) => fs.readFileSync(f, "utf8")): string[] {
  const value = (flag: string) => {
    const i = instanceArgs.indexOf(flag);
    return i === -1 ? undefined : instanceArgs[i + 1];
  };
  const files = [value("--log"), value("--binding")].filter((f): f is string => !!f).map((f) => path.resolve(f));
  const binding = value("--binding");
  if (binding) {
    try {
      const auth = (JSON.parse(readFile(binding)) as { auth?: { kind?: string; file?: string } }).auth;
      if (auth?.kind === "token-file" && auth.file) files.push(path.resolve(auth.file));
    } catch {
      // An unreadable binding is the instance's to refuse (its --check says why).
    }
  }
  return [...new Set(files.map((f) => path.dirname(f)))];
}

/**
 * The environment of the instance contract (docs/contracts.md) that the
 * container must see: the target, the pinned log's digest, and on a real run
 * the lease's run id its runner calls must carry (else every PUT is 423).
 */
export const INSTANCE_ENV: readonly string[] = ["SPIVE_BOOTSTRAP_TARGET", "SPIVE_BOOTSTRAP_LOG_SHA256", "SPIVE_BOOTSTRAP_LEASE"];

/** The names of `INSTANCE_ENV` that are set in `env`: only these are passed on (an unset one stays unset in the container). */
export function instanceEnvNames(env: NodeJS.ProcessEnv): string[] {
  return INSTANCE_ENV.filter((n) => env[n] !== undefined && env[n] !== "");
}

/**
 * `docker run` arguments: named, removed after use, host network, read-only
 * root, this user, the mounts, the contract's environment by name (`--env
 * NAME` takes the launcher's value, so no value is on the command line), the
 * image, the instance args.
 */
export function dockerRunArgs(ref: string, instanceArgs: readonly string[], mounts: readonly string[], user: string, name: string, envNames: readonly string[] = []): string[] {
  return ["run", "--name", name, "--rm", "--init", "--network", "host", "--read-only", "--pull", "never", "--user", user, ...mounts.flatMap((m) => ["--volume", `${m}:${m}:ro`]), ...envNames.flatMap((n) => ["--env", n]), ref, ...instanceArgs];
}

/**
 * Starts a reaper in its own session: once the launcher is gone — even
 * killed with SIGKILL, when it cannot stop the container itself and docker's
 * client dies without stopping it — it removes the container (`docker rm -f`),
 * so the instance never outlives the driver (docs/bootstrap.md, "If the
 * driver dies"). After a normal exit the container is already gone and the
 * removal is a no-op.
 */
export function startReaper(docker: readonly string[], name: string, launcherPid: number = process.pid): void {
  const script = `const { spawn } = require("node:child_process");
const alive = () => { try { process.kill(${launcherPid}, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const t = setInterval(() => { if (alive()) return; clearInterval(t);
  const c = spawn(${JSON.stringify(docker[0])}, ${JSON.stringify([...docker.slice(1), "rm", "--force", name])}, { stdio: "ignore" });
  c.on("error", () => process.exit(0)); c.on("exit", () => process.exit(0)); }, 250);`;
  spawn(process.execPath, ["-e", script], { detached: true, stdio: "ignore" }).unref();
}

/** Runs `cmd args` and resolves with its exit code and stderr (bounded by `timeoutMs`). */
function capture(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, stderr, error: (err as NodeJS.ErrnoException).code ?? err.message });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** How long a pull may take before the preflight gives up. */
export const PULL_TIMEOUT_MS = 300_000;

/**
 * Makes sure the artifact's image is present (inspect, else pull); resolves
 * with undefined, or with one sentence saying why it cannot be run.
 */
export async function ensurePulled(a: ArtifactSpec, docker: readonly string[]): Promise<string | undefined> {
  const ref = artifactRef(a);
  const [cmd, ...pre] = docker;
  const inspect = await capture(cmd!, [...pre, "image", "inspect", ref], 60_000);
  if (inspect.error) return `Cannot run ${cmd} to start the SpiveProdBootstrap artifact ${ref} (${inspect.error}); the deployment container needs Docker Engine (docs/bootstrap.md, "The instance command").`;
  if (inspect.code === 0) return undefined;
  const pull = await capture(cmd!, [...pre, "pull", ref], PULL_TIMEOUT_MS);
  if (pull.code === 0) return undefined;
  const why = pull.stderr.trim().split("\n").pop()?.trim() || (pull.code === null ? `no answer within ${PULL_TIMEOUT_MS / 1000} s` : `exit ${pull.code}`);
  return `The SpiveProdBootstrap artifact ${ref} (spive:bootstrap.artifact in stacks/Pulumi.prod0.yaml) cannot be pulled: ${why}; expected version ${a.version} to be published in ${a.image.split("/").slice(0, 3).join("/")} and the deployer to read it (roles/artifactregistry.reader, gcloud auth configure-docker ${a.image.split("/")[0]}).`;
}

/**
 * The launcher: `--check` pulls first (refusing in one sentence), then runs
 * the container with the instance args; SIGTERM and SIGINT go to the
 * container (docker forwards them), and the launcher exits with its code.
 */
export async function launchArtifact(a: ArtifactSpec, instanceArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const docker = (env.SPIVE_DOCKER ?? "docker").split(/\s+/).filter(Boolean);
  if (instanceArgs.includes("--check")) {
    const problem = await ensurePulled(a, docker);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
  }
  const user = typeof process.getuid === "function" ? `${process.getuid()}:${process.getgid!()}` : "65534:65534";
  const [cmd, ...pre] = docker;
  const name = `spive-bootstrap-${process.pid}-${Date.now().toString(36)}`;
  startReaper(docker, name);
  const child = spawn(cmd!, [...pre, ...dockerRunArgs(artifactRef(a), instanceArgs, mountsFor(instanceArgs), user, name, instanceEnvNames(env))], { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGTERM", forward("SIGTERM"));
  process.on("SIGINT", forward("SIGINT"));
  return new Promise((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`Cannot run ${cmd} to start the SpiveProdBootstrap artifact ${artifactRef(a)} (${(err as NodeJS.ErrnoException).code ?? err.message}); the deployment container needs Docker Engine.\n`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal === "SIGTERM" ? 143 : signal === "SIGINT" ? 130 : 1)));
  });
}
