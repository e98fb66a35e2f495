import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// The linter is a plain CommonJS script (`npm test` runs it beside vitest).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lint = require("../scripts/lint-workflows.js") as {
  WORKFLOWS_DIR: string;
  lintWorkflowText(text: string, file: string): Promise<{ file: string; line: number; column: number; message: string; kind: string }[]>;
  lintWorkflows(dir?: string): Promise<{ files: string[]; problems: unknown[] }>;
};

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; if?: string };
type Job = {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  permissions?: Record<string, string>;
  steps: Step[];
};
type Workflow = { on: Record<string, any>; permissions?: Record<string, string>; jobs: Record<string, Job> };

function load(name: string): Workflow {
  return parse(fs.readFileSync(path.join(lint.WORKFLOWS_DIR, name), "utf8")) as Workflow;
}

function steps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((j) => j.steps);
}

const ALL = fs.readdirSync(lint.WORKFLOWS_DIR).filter((f) => f.endsWith(".yml"));

describe("workflow lint (actionlint)", () => {
  it("finds every committed workflow clean", async () => {
    const { files, problems } = await lint.lintWorkflows();
    expect(files.map((f) => path.basename(f)).sort()).toEqual(["deploy-prod0.yml", "pr-comment.yml", "pull-request.yml", "rolling-upgrade.yml"]);
    expect(problems).toEqual([]);
  });

  it("reports a deliberately broken workflow (the linter is live)", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-latest",
      "    needs: [missing-job]",
      "    steps:",
      "      - run: echo ${{ github.no_such_property }}",
    ].join("\n");
    const problems = await lint.lintWorkflowText(broken, "broken.yml");
    expect(problems.map((p) => p.kind)).toEqual(expect.arrayContaining(["job-needs", "expression"]));
    expect(problems.find((p) => p.kind === "expression")).toMatchObject({ file: "broken.yml", line: 7 });
  });
});

describe("workflow security and behaviour", () => {
  it.each(ALL)("%s: least privilege, pinned actions, no long-lived cloud keys", (name) => {
    const wf = load(name);
    const text = fs.readFileSync(path.join(lint.WORKFLOWS_DIR, name), "utf8");
    expect(wf.permissions, "a top-level permissions block").toBeDefined();
    expect(Object.values(wf.permissions ?? {}).filter((v) => v === "write")).toEqual([]);
    for (const s of steps(wf).filter((x) => x.uses)) expect(s.uses, "pinned to at least a major version").toMatch(/^[\w.-]+\/[\w./-]+@v\d+/);
    expect(text).not.toMatch(/credentials_json|GOOGLE_CREDENTIALS|service_account_key/);
    for (const s of steps(wf).filter((x) => x.uses?.startsWith("google-github-actions/auth@"))) {
      expect(Object.keys(s.with ?? {}).sort()).toEqual(["service_account", "workload_identity_provider"]);
    }
    // Untrusted or free-form values reach shells only through env, never spliced into scripts.
    for (const s of steps(wf).filter((x) => x.run)) expect(s.run).not.toMatch(/\$\{\{\s*(inputs|github\.event)\./);
  });

  it("every job that authenticates to Google Cloud may mint an OIDC token, and only those", () => {
    for (const name of ALL) {
      for (const [id, job] of Object.entries(load(name).jobs)) {
        const auth = job.steps.some((s) => s.uses?.startsWith("google-github-actions/auth@"));
        expect(job.permissions?.["id-token"] === "write", `${name} > jobs.${id}`).toBe(auth);
      }
    }
  });

  it("pull-request.yml: tests, one offline diff of all stacks, cloud previews only with credentials and never for forks", () => {
    const wf = load("pull-request.yml");
    // What .ci/run runs and the README shows (test/ci-run.test.ts).
    expect(wf.jobs.test!.steps.map((s) => s.run).filter(Boolean)).toEqual(["bash scripts/install-engine.sh", "npm ci", "npm test"]);
    expect(wf.jobs.test!.steps.find((s) => s.run === "npm test")?.env?.SPIVE_REQUIRE_ENGINE).toBe("1");
    const diff = wf.jobs["offline-diff"]!.steps.find((s) => s.run?.includes("spive diff"))!;
    expect(diff.run).toContain("--all --base");
    expect(wf.jobs["offline-diff"]!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with?.name).toBe("spive-diff");
    const preview = wf.jobs.preview!;
    expect(preview.if).toContain("vars.GCP_WORKLOAD_IDENTITY_PROVIDER != ''");
    expect(preview.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(pulumi.with).toMatchObject({ command: "preview", diff: true, policyPacks: "policy" });
    expect(wf.jobs["preview-skipped"]!.if).toContain("vars.GCP_WORKLOAD_IDENTITY_PROVIDER == ''");
  });

  it("pr-comment.yml: updates one marked comment from the artifact without checking out pull request code", () => {
    const wf = load("pr-comment.yml");
    expect(wf.on.workflow_run.workflows).toEqual(["Pull request"]);
    expect(steps(wf).some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    const script = String(steps(wf).find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script);
    expect(script).toContain("<!-- spive-diff -->");
    expect(script).toContain("updateComment");
    expect(script).toContain("pr.head.sha !== process.env.HEAD_SHA");
  });

  it("deploy-prod0.yml: on push to main, in the prod0 environment, never cancelling a running deployment", () => {
    const wf = load("deploy-prod0.yml");
    expect(wf.on.push.branches).toEqual(["main"]);
    const deploy = wf.jobs.deploy!;
    expect(deploy.environment).toBe("prod0");
    expect(deploy.concurrency).toEqual({ group: "deploy-prod0", "cancel-in-progress": false });
    const up = deploy.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(up.with).toMatchObject({ command: "up", "stack-name": "spive/spive-infra/prod0", policyPacks: "policy" });
  });

  it("rolling-upgrade.yml: dispatch with stack prod1|prod2|prod3 and version, environment approval and one run per stack", () => {
    const wf = load("rolling-upgrade.yml");
    const inputs = wf.on.workflow_dispatch.inputs;
    expect(inputs.stack).toMatchObject({ type: "choice", options: ["prod1", "prod2", "prod3"], required: true });
    expect(inputs.version).toMatchObject({ type: "string", required: true });
    const upgrade = wf.jobs.upgrade!;
    expect(upgrade.needs).toBe("check");
    expect(upgrade.environment).toBe("${{ inputs.stack }}");
    expect(upgrade.concurrency).toEqual({ group: "rolling-upgrade-${{ inputs.stack }}", "cancel-in-progress": false });
    const up = upgrade.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(up.with).toMatchObject({ command: "up", "stack-name": "spive/spive-infra/${{ inputs.stack }}", policyPacks: "policy" });
    const check = wf.jobs.check!.steps.find((s) => s.run?.includes("spive rollout plan"))!;
    expect(check.env).toEqual({ STACK: "${{ inputs.stack }}", VERSION: "${{ inputs.version }}" });
    // The quota preflight runs before the approval is asked for, and fails the run when a need exceeds a quota.
    const quota = wf.jobs.check!.steps.find((s) => s.run?.includes("spive quota"))!;
    expect(quota.env).toEqual({ STACK: "${{ inputs.stack }}" });
    expect(quota.run).toMatch(/exit 1/);
    expect(up.with).toMatchObject({ upsert: true });
  });

  it("every stack has a CI path: an environment, a concurrency group and the policy pack", () => {
    const paths: Record<string, { environment: unknown; concurrency: unknown; policyPacks: unknown }> = {};
    for (const name of ALL) {
      for (const job of Object.values(load(name).jobs)) {
        const up = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
        if (!up) continue;
        const stackName = String(up.with!["stack-name"]);
        const stacks = stackName.includes("${{ inputs.stack }}") ? (load(name).on.workflow_dispatch.inputs.stack.options as string[]) : [stackName.split("/").pop()!];
        for (const s of stacks) paths[s] = { environment: job.environment, concurrency: job.concurrency, policyPacks: up.with!.policyPacks };
      }
    }
    const committed = fs.readdirSync(path.join(__dirname, "..", "stacks")).filter((f) => /^Pulumi\.prod\d+\.yaml$/.test(f)).map((f) => f.split(".")[1]!).sort();
    expect(Object.keys(paths).sort()).toEqual(committed);
    for (const [s, p] of Object.entries(paths)) {
      expect(p.environment, s).toBeDefined();
      expect(p.concurrency, s).toBeDefined();
      expect(p.policyPacks, s).toBe("policy");
    }
  });
});
