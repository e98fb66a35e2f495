import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { artifactCommand, artifactRef, dockerRunArgs, instanceEnvNames, mountsFor } from "../bootstrap/artifact/launcher";
import { runConformance } from "../bootstrap/conformance/suite";
import { parseCommand } from "../bootstrap/driver/instance-process";
import { instanceCommandFor } from "../bootstrap/driver/target";
import { loadStackConfig, readStackFile, REPO_ROOT, stackFilePath } from "../config/load";
import { StackConfig } from "../config/schema";
import { run } from "./helpers/proc";

/**
 * Issue 13, must-have 7: prod0 runs the SpiveProdBootstrap release artifact
 * (an image in the Spive Artifact Registry, pinned by version, run with
 * Docker Engine through bootstrap/artifact/launcher.ts); the double is the
 * instance only of dev-0 and dev-0r. A fake `docker` ($SPIVE_DOCKER) stands
 * in for the runtime.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-artifact-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cfg = loadStackConfig("prod0")["spive:bootstrap"]!;
const artifact = cfg.artifact!;

/** A fake docker: logs its arguments; inspect/pull answer as told; run starts the double with the instance args. */
function fakeDocker(name: string, pull: "ok" | "denied"): { docker: string; log: string } {
  const docker = path.join(tmp, name);
  const log = path.join(tmp, `${name}.log`);
  fs.writeFileSync(
    docker,
    `#!/bin/bash
echo "$@" >> ${log}
case "$1" in
  image) echo "Error: No such image: $3" >&2; exit 1 ;;
  rm) exit 0 ;;
  pull) if [ "${pull}" = ok ]; then exit 0; fi
        echo 'Error response from daemon: Head "https://europe-docker.pkg.dev/v2/spive-artifacts/spive/spive-prod-bootstrap/manifests/2026.11.0": denied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource' >&2; exit 1 ;;
  run) shift
       while [ $# -gt 0 ]; do case "$1" in --rm|--init|--read-only) shift ;; --name|--network|--pull|--user|--volume|--env) shift 2 ;; *) break ;; esac; done
       shift
       exec ${process.execPath} --require tsx/cjs doubles/bin/serve.ts bootstrap-instance "$@" ;;
esac
exit 64
`,
    { mode: 0o755 },
  );
  return { docker, log };
}

describe("the prod0 instance is the release artifact", () => {
  it("prod0's instance command runs the pinned artifact; dev-0 and dev-0r keep the double", () => {
    expect(artifact).toEqual({ image: "europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap", version: "2026.11.0", runtime: "docker" });
    expect(instanceCommandFor("prod0", cfg)).toBe(artifactCommand(artifact));
    expect(artifactCommand(artifact)).toBe("node --require tsx/cjs bootstrap/artifact/bin.ts --image europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap --version 2026.11.0 --runtime docker --");
    expect(instanceCommandFor("dev-0", cfg)).toBe("node --require tsx/cjs doubles/bin/serve.ts bootstrap-instance");
    expect(instanceCommandFor("dev-0r", cfg)).toBe(cfg.command);
  });

  it("a prod0 config without the artifact is refused, naming the key", () => {
    const raw = readStackFile(stackFilePath("prod0"));
    delete (raw["spive:bootstrap"] as Record<string, unknown>).artifact;
    const res = StackConfig.safeParse(raw);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => [i.path.join("."), i.message])).toContainEqual([
      "spive:bootstrap.artifact",
      "expected the SpiveProdBootstrap release artifact (image and version) prod0 runs; the double of spive:bootstrap.command serves dev-0 and dev-0r only, got nothing",
    ]);
  });

  it("runs the container on the host network, read-only, as this user, with only the files it needs mounted", () => {
    const binding = path.join(tmp, "work", "binding.json");
    fs.mkdirSync(path.dirname(binding), { recursive: true });
    fs.writeFileSync(binding, JSON.stringify({ auth: { kind: "token-file", file: "/state/dev-0/api-token" } }));
    const args = ["--log", "/pinned/log.jsonl", "--binding", binding, "--listen", "127.0.0.1:0"];
    const mounts = mountsFor(args);
    expect(mounts).toEqual(["/pinned", path.dirname(binding), "/state/dev-0"]);
    expect(dockerRunArgs(artifactRef(artifact), args, mounts, "1000:1000", "spive-bootstrap-1")).toEqual([
      "run", "--name", "spive-bootstrap-1", "--rm", "--init", "--network", "host", "--read-only", "--pull", "never", "--user", "1000:1000",
      "--volume", "/pinned:/pinned:ro", "--volume", `${path.dirname(binding)}:${path.dirname(binding)}:ro`, "--volume", "/state/dev-0:/state/dev-0:ro",
      "europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap:2026.11.0", ...args,
    ]);
  });

  it("passes the instance contract's environment (target, log digest, lease run id) into the container by name, and only what is set", () => {
    const env = { SPIVE_BOOTSTRAP_TARGET: "prod0", SPIVE_BOOTSTRAP_LOG_SHA256: "ab".repeat(32), SPIVE_BOOTSTRAP_LEASE: "run-1", HOME: "/home/x" };
    expect(instanceEnvNames(env)).toEqual(["SPIVE_BOOTSTRAP_TARGET", "SPIVE_BOOTSTRAP_LOG_SHA256", "SPIVE_BOOTSTRAP_LEASE"]);
    // The dry replay's instance has no lease: nothing is forwarded for it.
    expect(instanceEnvNames({ SPIVE_BOOTSTRAP_TARGET: "dry-replay" })).toEqual(["SPIVE_BOOTSTRAP_TARGET"]);
    const argv = dockerRunArgs(artifactRef(artifact), ["--listen", "127.0.0.1:0"], [], "1000:1000", "spive-bootstrap-2", instanceEnvNames(env));
    expect(argv.slice(argv.indexOf("--env"), argv.indexOf("--env") + 6)).toEqual(["--env", "SPIVE_BOOTSTRAP_TARGET", "--env", "SPIVE_BOOTSTRAP_LOG_SHA256", "--env", "SPIVE_BOOTSTRAP_LEASE"]);
    // Values stay off the command line; the image comes after the options.
    expect(argv.join(" ")).not.toContain("run-1");
    expect(argv.indexOf("europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap:2026.11.0")).toBeGreaterThan(argv.lastIndexOf("--env"));
  });

  it("the preflight (--check) refuses in one sentence when the artifact cannot be pulled", async () => {
    const { docker } = fakeDocker("docker-denied", "denied");
    const r = await run(process.execPath, [...parseCommand(artifactCommand(artifact)).slice(1), "--log", "/x/log.jsonl", "--binding", "/x/binding.json", "--listen", "127.0.0.1:0", "--check"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_DOCKER: docker }, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      'The SpiveProdBootstrap artifact europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap:2026.11.0 (spive:bootstrap.artifact in stacks/Pulumi.prod0.yaml) cannot be pulled: Error response from daemon: Head "https://europe-docker.pkg.dev/v2/spive-artifacts/spive/spive-prod-bootstrap/manifests/2026.11.0": denied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource; expected version 2026.11.0 to be published in europe-docker.pkg.dev/spive-artifacts/spive and the deployer to read it (roles/artifactregistry.reader, gcloud auth configure-docker europe-docker.pkg.dev).',
    );
  }, 120_000);

  it("the preflight refuses when there is no container runtime", async () => {
    const r = await run(process.execPath, [...parseCommand(artifactCommand(artifact)).slice(1), "--log", "/x/l", "--binding", "/x/b", "--listen", "127.0.0.1:0", "--check"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_DOCKER: path.join(tmp, "no-such-docker") }, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`Cannot run ${path.join(tmp, "no-such-docker")} to start the SpiveProdBootstrap artifact europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap:2026.11.0 (ENOENT); the deployment container needs Docker Engine (docs/bootstrap.md, "The instance command").`);
  }, 120_000);

  it("through the launcher, an artifact that conforms passes the kit: check, consume, stop on SIGTERM", async () => {
    const { docker, log } = fakeDocker("docker-ok", "ok");
    const results = await runConformance({
      command: parseCommand(artifactCommand(artifact)),
      cwd: REPO_ROOT,
      env: { ...process.env, SPIVE_DOCKER: docker },
      only: ["check accepts a binding it can serve", "consume to the last position", "stop on SIGTERM within the bound"],
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(3);
    const calls = fs.readFileSync(log, "utf8").trim().split("\n");
    expect(calls[0]).toBe(`image inspect ${artifactRef(artifact)}`);
    expect(calls[1]).toBe(`pull ${artifactRef(artifact)}`);
    const runs = calls.filter((c) => c.startsWith("run "));
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((c) => /^run --name spive-bootstrap-\d+-[0-9a-z]+ --rm --init --network host --read-only --pull never --user \d+:\d+ /.test(c))).toBe(true);
  }, 600_000);

  it("a launcher killed with SIGKILL leaves no container behind: its reaper removes it", async () => {
    const { docker, log } = fakeDocker("docker-reaper", "ok");
    const launcher = spawn(process.execPath, [...parseCommand(artifactCommand(artifact)).slice(1), "--log", "/x/log.jsonl", "--binding", "/x/binding.json", "--listen", "127.0.0.1:0"], {
      cwd: REPO_ROOT,
      env: { ...process.env, SPIVE_DOCKER: `${docker}` },
      stdio: "ignore",
      detached: true,
    });
    // Wait (bounded) until it has started the container, then kill it outright.
    const deadline = Date.now() + 60_000;
    while (!(fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("run --name "))) {
      if (Date.now() > deadline) throw new Error("test: the launcher did not start the container within 60 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    const name = /run --name (\S+)/.exec(fs.readFileSync(log, "utf8"))![1]!;
    process.kill(-launcher.pid!, "SIGKILL");
    const until = Date.now() + 30_000;
    while (!fs.readFileSync(log, "utf8").includes(`rm --force ${name}`)) {
      if (Date.now() > until) throw new Error(`test: no "docker rm --force ${name}" within 30 s of the launcher's death`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.readFileSync(log, "utf8")).toContain(`rm --force ${name}`);
  }, 120_000);
});
