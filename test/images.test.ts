import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import { KNOWN_STACKS } from "../layers/registry";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { artifactRepositories, artifactRepositoryOf } from "../topology/images";
import { ofType } from "./helpers/resources";

describe("artifactRepositoryOf", () => {
  it("reads location, project and repository from Artifact Registry images, with or without tag or digest", () => {
    const expected = { host: "europe-docker.pkg.dev", location: "europe", project: "spive-artifacts", repository: "spive" };
    expect(artifactRepositoryOf("europe-docker.pkg.dev/spive-artifacts/spive/spive-prod1")).toEqual(expected);
    expect(artifactRepositoryOf("europe-docker.pkg.dev/spive-artifacts/spive/spive-prod1:2026.11.0")).toEqual(expected);
    expect(artifactRepositoryOf(`europe-docker.pkg.dev/spive-artifacts/spive/team/spive-prod1@sha256:${"a".repeat(64)}`)).toEqual(expected);
    expect(artifactRepositoryOf("us-central1-docker.pkg.dev/my-project/images/app:1")).toEqual({ host: "us-central1-docker.pkg.dev", location: "us-central1", project: "my-project", repository: "images" });
  });

  it("returns undefined for images hosted elsewhere or without an image name", () => {
    for (const image of ["gcr.io/spive-artifacts/spive:1", "docker.io/library/nginx:1.27", "europe-docker.pkg.dev/spive-artifacts/spive", "nginx"]) {
      expect(artifactRepositoryOf(image)).toBeUndefined();
    }
  });

  it("round-trips any well-formed Artifact Registry reference (property)", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/);
    fc.assert(
      fc.property(label, fc.stringMatching(/^[a-z][a-z0-9-]{4,20}[a-z0-9]$/), label, label, fc.option(fc.stringMatching(/^[0-9]{1,3}\.[0-9]{1,3}$/), { nil: undefined }), (location, project, repository, name, tag) => {
        const image = `${location}-docker.pkg.dev/${project}/${repository}/${name}${tag ? `:${tag}` : ""}`;
        expect(artifactRepositoryOf(image)).toEqual({ host: `${location}-docker.pkg.dev`, location, project, repository });
      }),
    );
  });

  it("deduplicates the repositories of several images", () => {
    expect(artifactRepositories(["europe-docker.pkg.dev/a-proj1/r/x:1", "europe-docker.pkg.dev/a-proj1/r/y:1", "gcr.io/x/y", "us-docker.pkg.dev/a-proj1/r/x:1"]).map((r) => `${r.location}/${r.repository}`)).toEqual(["europe/r", "us/r"]);
  });
});

describe("every committed layer lets its node or host identity pull its images, on the image repository only", () => {
  const evs: Record<string, Evaluation> = {};
  beforeAll(async () => {
    for (const s of KNOWN_STACKS) evs[s] = await evaluateStack(s);
  }, 120_000);

  it.each([...KNOWN_STACKS])("%s", (stack) => {
    const cfg = loadStackConfig(stack);
    const level = cfg["spive:layer"].level;
    const project = cfg["gcp:project"];
    const puller = level === 0 ? `spive-prod0@${project}.iam.gserviceaccount.com` : `spive-prod${level}-nodes@${project}.iam.gserviceaccount.com`;
    const grants = ofType(evs[stack]!, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
    expect(grants.map((g) => g.inputs)).toEqual([
      { project: "spive-artifacts", location: "europe", repository: "spive", role: "roles/artifactregistry.reader", member: `serviceAccount:${puller}` },
    ]);
    // What pulls images first waits for the grant: prod0's hosts, a GKE layer's first wave.
    const grant = grants[0]!.urn;
    const pullers = level === 0 ? ofType(evs[stack]!, "gcp:compute/perInstanceConfig:PerInstanceConfig") : ofType(evs[stack]!, "kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.labels["spive.dev/wave"] === "0");
    expect(pullers.length).toBeGreaterThan(0);
    for (const p of pullers) expect(p.dependsOn).toContain(grant);
    // No project-wide registry read anywhere.
    const projectRoles = ofType(evs[stack]!, "gcp:projects/iAMMember:IAMMember").map((m) => m.inputs.role);
    expect(projectRoles).not.toContain("roles/artifactregistry.reader");
  });
});
