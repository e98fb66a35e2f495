import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBootstrap } from "../bootstrap/driver/driver";
import { BootstrapPhaseError } from "../bootstrap/driver/errors";
import { driverTimeouts, resolveTarget } from "../bootstrap/driver/target";
import { gcloudReason } from "../bootstrap/driver/tunnels";
import { formatLogError } from "../bootstrap/log/errors";
import { DEFAULT_LOG_FILE, validateLogBuffer } from "../bootstrap/log/validate";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { run } from "./helpers/proc";

// Bootstrap failures lead with the cause (issue 15): one mistake gives one
// error, the run's one-line failure names the first root cause by line, the
// IAP failure quotes gcloud's ERROR line, and a mistake in the call is a
// usage error, never "failed in phase validate".

const ZONES = ["europe-west1-b", "europe-west1-c"];
const committed = fs.readFileSync(DEFAULT_LOG_FILE, "utf8").trimEnd().split("\n");
const instanceLine = committed.findIndex((l) => l.includes('"CreateInstance"')) + 1;
const processLine = committed.findIndex((l) => l.includes('"CreateProcess"')) + 1;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-first-error-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The committed log with line `n` (1-based) edited. */
function withLine(n: number, edit: (line: string) => string | undefined): string {
  const lines = committed.flatMap((l, i) => (i === n - 1 ? (edit(l) === undefined ? [] : [edit(l)!]) : [l]));
  return `${lines.join("\n")}\n`;
}

function errors(text: string): string[] {
  return validateLogBuffer(text, { zones: ZONES, displayName: "log.jsonl" }).errors.map(formatLogError);
}

describe("one mistake, one error", () => {
  it("a misspelled field is one error naming the field it stands for, not a missing field and a process without an instance", () => {
    const text = withLine(instanceLine, (l) => l.replace('"process":', '"proces":'));
    expect(errors(text)).toEqual([
      `log.jsonl:${instanceLine} CreateInstance.proces: unknown field "proces"; did you mean "process", which is missing? Expected only the fields kind, id, process, zone, args`,
    ]);
  });

  it("a field in the wrong case is one error too", () => {
    const text = withLine(instanceLine, (l) => l.replace('"zone":', '"Zone":'));
    expect(errors(text)).toEqual([`log.jsonl:${instanceLine} CreateInstance.Zone: unknown field "Zone"; did you mean "zone", which is missing? Expected only the fields kind, id, process, zone, args`]);
  });

  it("an unknown field unlike any missing one keeps both errors", () => {
    const text = withLine(instanceLine, (l) => l.replace('"process":', '"owner":'));
    const e = errors(text);
    expect(e).toContain(`log.jsonl:${instanceLine} CreateInstance.process: expected a string, found nothing (the field is missing)`);
    expect(e).toContain(`log.jsonl:${instanceLine} CreateInstance.owner: unknown field "owner"; expected only the fields kind, id, process, zone, args`);
    expect(e.some((x) => x.includes("has no instance in zone"))).toBe(false);
  });

  it("an instance of an unknown process does not also report the real process as missing a zone", () => {
    const text = withLine(instanceLine, (l) => l.replace('"process":"SpiveProd0"', '"process":"SpiveProd"'));
    expect(errors(text)).toEqual([`log.jsonl:${instanceLine} CreateInstance.process: process "SpiveProd" is not created before this line`]);
  });

  it("a process really missing a zone is still reported", () => {
    const text = withLine(instanceLine + 1, () => undefined);
    expect(errors(text)).toEqual([
      `log.jsonl:${processLine} CreateProcess: process "SpiveProd0" has no instance in zone europe-west1-c; prod-0 is active-active, so expected at least one instance in each of europe-west1-b, europe-west1-c`,
    ]);
  });

  it("root causes come before what follows from them, whatever their lines", () => {
    // A truncated log (no End, so the second instance is missing too): the truncation is the cause.
    const lines = committed.slice(0, instanceLine);
    const e = errors(`${lines.join("\n")}\n`);
    expect(e[0]).toBe(`log.jsonl:${instanceLine}: expected an End event on the last line, found a CreateInstance event (is the log truncated?)`);
    expect(e[1]).toMatch(new RegExp(`^log\\.jsonl:${processLine} CreateProcess: process "SpiveProd0" has no instance in zone europe-west1-c`));
    expect(e).toHaveLength(2);
  });
});

describe("the bootstrap's one-line failure", () => {
  it("names the first error by line: the misspelled field, not a consequence", async () => {
    const log = path.join(tmp, "proces.jsonl");
    fs.writeFileSync(log, withLine(instanceLine, (l) => l.replace('"process":', '"proces":')));
    // Nothing listens on this binding: the run must stop at validate, before reaching for it.
    const binding = { target: "dev-0", runnerHosts: [{ name: "nowhere", zones: ZONES, url: "http://127.0.0.1:9" }], eventStore: { kind: "local" as const, url: "http://127.0.0.1:9" }, gateways: {} };
    const err = await runBootstrap({
      logFile: log,
      zones: ZONES,
      binding,
      timeouts: driverTimeouts(loadStackConfig("prod0")["spive:bootstrap"]!),
      instanceCommand: ["false"],
      cwd: REPO_ROOT,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BootstrapPhaseError);
    expect((err as Error).message).toBe(
      `bootstrap failed in phase validate: the log is invalid, nothing was touched: ${log}:${instanceLine} CreateInstance.proces: unknown field "proces"; did you mean "process", which is missing? Expected only the fields kind, id, process, zone, args`,
    );
  });

  it("quotes gcloud's first ERROR line when an IAP tunnel does not open, not the hint after it", () => {
    const out = "Testing if tunnel connection works.\nERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].\nCheck that you have the IAP-secured Tunnel User role.\n";
    expect(gcloudReason(out)).toBe("ERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].");
    expect(gcloudReason("Testing if tunnel connection works.\n")).toBe("Testing if tunnel connection works.");
    expect(gcloudReason("")).toBe("no output");
  });
});

describe("usage mistakes are usage errors (exit 2 and the usage line), never a failed phase", () => {
  const env = { ...process.env, SPIVE_STATE_DIR: path.join(tmp, "state"), SPIVE_BOOTSTRAP_BINDING: "" };
  it.each([
    [["bootstrap", "run", "--target", "dev-0", "--timeout", "bogus=3"], /^spive bootstrap run: option '--timeout <phase=seconds>' argument 'bogus=3' is invalid\. expected <phase>=<seconds> with a phase among validate, lease, dry-replay, preflight, wipe, start, wait, stop, verify and seconds > 0\.\n/],
    [["bootstrap", "run", "--target", "dev-0", "--timeout", "wait=abc"], /^spive bootstrap run: option '--timeout <phase=seconds>' argument 'wait=abc' is invalid\./],
    [["bootstrap", "run", "--target", "prod0"], /^spive bootstrap run: --target prod0: expected the binding from the prod0 stack's outputs in SPIVE_BOOTSTRAP_BINDING \(set by the Pulumi bootstrap component\) or --binding FILE, got neither\.\n/],
    [["bootstrap", "run", "--target", "prod9"], /^spive bootstrap run: option '--target <target>' argument 'prod9' is invalid\. Allowed choices are prod0, dev-0, dev-0r\.\n/],
    [["bootstrap", "run", "--target", "prod0", "--reach", "vpn"], /^spive bootstrap run: option '--reach <how>' argument 'vpn' is invalid\. Allowed choices are iap, direct\.\n/],
    [["status", "--target", "prod0"], /^spive status: --target prod0: expected the binding/],
    [["bootstrap", "validate", "--max-errors", "0"], /^spive bootstrap validate: option '--max-errors <n>' argument '0' is invalid\./],
  ])("%j", async (args, first) => {
    const r = await run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), ...args], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(first);
    expect(r.stderr).not.toMatch(/phase validate/);
    const name = args[0] === "status" ? "spive status" : `spive bootstrap ${args[1]}`;
    expect(r.stderr.trimEnd().split("\n").slice(1)).toEqual([`Usage: ${name} [options]${args[1] === "validate" ? " [file]" : ""}`, `Run "${name} --help" for every option.`]);
  });

  it("a local target that is not running did not start the bootstrap (exit 1), and says so without blaming the log", async () => {
    const r = await run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "run", "--target", "dev-0"], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^spive bootstrap run: the bootstrap did not start, nothing was touched: dev-0 is not running /);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("the --timeout help shows no empty default", async () => {
    const r = await run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "run", "--help"], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--timeout <phase=seconds>");
    expect(r.stdout).not.toContain("(default: [])");
  });
});

describe("bootstrap run --log FILE", () => {
  it("is relative to the working directory, as given; the configured log to the repository", () => {
    const bindingFile = path.join(tmp, "binding.json");
    fs.writeFileSync(
      bindingFile,
      JSON.stringify({
        target: "prod0",
        project: "spive-prod0",
        runnerHosts: [{ name: "spive-prod0-basic-runner-europe-west1-b-0", zones: ["europe-west1-b"], url: "http://10.0.0.2:7070" }],
        eventStore: { kind: "spanner", project: "spive-prod0", instance: "spive-prod0-events", database: "spive-events" },
        gateways: {},
      }),
    );
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      expect(resolveTarget("prod0", { bindingFile, logFile: "mine.jsonl" }).logFile).toBe(path.join(fs.realpathSync(tmp), "mine.jsonl"));
      expect(resolveTarget("prod0", { bindingFile }).logFile).toBe(DEFAULT_LOG_FILE);
    } finally {
      process.chdir(cwd);
    }
  });
});
