import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { run } from "./helpers/proc";

/** `spive bootstrap validate`, run as users run it. */
async function spive(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), ...args], { cwd: REPO_ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-log-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const committed = fs.readFileSync(path.join(REPO_ROOT, "SpiveProdBootstrap.jsonl"), "utf8").trimEnd().split("\n");

describe("spive bootstrap validate", () => {
  it("exits 0 on the committed log and says what it creates", async () => {
    const r = await spive("bootstrap", "validate");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `SpiveProdBootstrap.jsonl: valid (${committed.length} events, last position ${committed.length}): 3 types, 4 gateways, 5 streams, 1 process, 2 instances in europe-west1-b, europe-west1-c.\n`,
    );
  });

  it("exits 1 with every error, one per line, on an invalid log", async () => {
    const f = path.join(tmp, "bad.jsonl");
    fs.writeFileSync(f, `${[committed[0], committed[1], committed[1], "", ...committed.slice(2)].join("\n")}\n`);
    const r = await spive("bootstrap", "validate", f);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      `spive bootstrap validate: ${f}:3 CreateType.name: type "SpiveScaler" is already created at line 2; expected a unique name`,
      `spive bootstrap validate: ${f}:4: expected one JSON event per line, found a blank line`,
      `spive bootstrap validate: ${f}: invalid, 2 errors.`,
      "",
    ]);
  });

  it("prints JSON for machines with --json, and exits 2 (not 1, an invalid log) on an unreadable file", async () => {
    const f = path.join(tmp, "bad.jsonl");
    const r = await spive("bootstrap", "validate", f, "--json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; errorCount: number; errors: { line: number; kind?: string; path: string; text: string }[]; lastPosition: number };
    expect(out).toMatchObject({ ok: false, errorCount: 2, lastPosition: committed.length + 2 });
    expect(out.errors[0]).toMatchObject({ line: 3, kind: "CreateType", path: "name" });
    const missing = await spive("bootstrap", "validate", path.join(tmp, "nope.jsonl"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^spive bootstrap validate: Cannot read the bootstrap log .*nope\.jsonl: ENOENT/);
    const folder = await spive("bootstrap", "validate", tmp, "--json");
    expect(folder.code).toBe(2);
    expect(JSON.parse(folder.stdout)).toMatchObject({ ok: false, fatal: expect.stringMatching(/^Cannot read the bootstrap log .*EISDIR/) });
  });

  it("prints paths as given: relative to the working directory, as typed", async () => {
    const r = await run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "validate", "../SpiveProdBootstrap.jsonl"], { cwd: path.join(REPO_ROOT, "docs"), timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\.\.\/SpiveProdBootstrap\.jsonl: valid /);
  });
});
