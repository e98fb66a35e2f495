import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PREVIEW_RUN_ID } from "../bootstrap/driver/trigger";
import { renderPlanJson, renderPlanText } from "../plan/render";
import * as pulumi from "@pulumi/pulumi";
import { evaluate, type RecordedResource } from "../plan/recorder";
import {
  canonicalize,
  flatten,
  parseSnapshot,
  providerUrn,
  SECRET_VALUE,
  snapshotOf,
  UNKNOWN_VALUE,
  type JsonValue,
} from "../plan/snapshot";
import { evaluateStack } from "../plan/stack";

function recorded(partial: Partial<RecordedResource> & { type: string; name: string }): RecordedResource {
  return {
    urn: `urn:pulumi:prod9::spive-infra::${partial.type}::${partial.name}`,
    custom: true,
    inputs: {},
    dependsOn: [],
    protect: false,
    ignoreChanges: [],
    read: false,
    ...partial,
  };
}

/** Rebuilds a JSON value with every object's keys in reverse insertion order. */
function reverseKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reverseKeys(v[k]!)]));
  return v;
}

describe("plan snapshots are identical from run to run", () => {
  it("two plans of prod0 at the same revision render the same bytes, as text and as JSON", async () => {
    const first = snapshotOf("prod0", await evaluateStack("prod0", { preview: true }));
    const second = snapshotOf("prod0", await evaluateStack("prod0", { preview: true }));
    expect(first.resources.length).toBeGreaterThan(10);
    expect(renderPlanText(second)).toBe(renderPlanText(first));
    expect(renderPlanJson(second)).toBe(renderPlanJson(first));
    // What the preview cannot know shows as a marker, not as a value that differs between runs;
    // the bootstrap's per-run trigger is fixed on previews and carries the log's digest.
    expect(renderPlanText(first)).toContain(`instanceTemplate = "${UNKNOWN_VALUE}"`);
    const bootstrap = first.resources.find((r) => r.type === "command:local:Command")!;
    expect(bootstrap.inputs.triggers).toEqual([PREVIEW_RUN_ID, expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
    // Sorted by type, then URN.
    const keys = first.resources.map((r) => [r.type, r.urn] as const);
    expect(keys).toEqual([...keys].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1)));
    // The JSON rendering reads back as a valid snapshot.
    expect(parseSnapshot(JSON.parse(renderPlanJson(first)), "plan.json")).toEqual(first);
  });

  it("does not depend on the order resources were recorded in or on object key order", () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie("value"), { maxKeys: 4 })),
    })).value as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom("a:b:C", "x:y:Z"), fc.stringMatching(/^[a-z]{1,8}$/)), { selector: (t) => t.join("/"), minLength: 1, maxLength: 8 }), fc.array(json, { minLength: 8, maxLength: 8 }), (ids, values) => {
        const resources = ids.map(([type, name], i) => recorded({ type, name, inputs: { v: values[i]! } }));
        const reordered = resources
          .slice()
          .reverse()
          .map((r) => ({ ...r, inputs: reverseKeys(r.inputs as JsonValue) as Record<string, unknown> }));
        expect(renderPlanJson(snapshotOf("prod9", { resources: reordered }))).toBe(renderPlanJson(snapshotOf("prod9", { resources })));
      }),
      { numRuns: 60 },
    );
  });
});

describe("canonical values", () => {
  it.each([
    [{ b: 1, a: { d: undefined, c: [1, undefined] } }, { a: { c: [1, null] }, b: 1 }],
    [{ x: { __pulumiUnknown: true } }, { x: UNKNOWN_VALUE }],
    [{ n: Number.POSITIVE_INFINITY, big: BigInt(7) }, { big: "7", n: "Infinity" }],
    [{ password: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" } }, { password: SECRET_VALUE }],
    [{ provider: { __pulumiResource: true, urn: {} } }, { provider: "<resource reference>" }],
  ])("canonicalize case %#", (input, expected) => {
    expect(JSON.stringify(canonicalize(input))).toBe(JSON.stringify(expected));
  });

  it("flattens to leaf paths in accessor notation", () => {
    expect(flatten({ spec: { containers: [{ image: "a:1" }], labels: { "app.kubernetes.io/name": "x" } }, empty: {}, list: [] })).toEqual([
      { path: "spec.containers[0].image", value: "a:1" },
      { path: 'spec.labels["app.kubernetes.io/name"]', value: "x" },
      { path: "empty", value: {} },
      { path: "list", value: [] },
    ]);
  });

  it("two values are equal exactly when their flattenings are", () => {
    const leaf = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("a", "b"), fc.constant(null));
    const value = fc.dictionary(fc.constantFrom("p", "q", "r.s"), fc.oneof(leaf, fc.array(leaf, { maxLength: 2 }), fc.dictionary(fc.constantFrom("p", "q"), leaf, { maxKeys: 2 })), { maxKeys: 3 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        const same = JSON.stringify(canonicalize(a)) === JSON.stringify(canonicalize(b));
        expect(JSON.stringify(flatten(canonicalize(a))) === JSON.stringify(flatten(canonicalize(b)))).toBe(same);
      }),
      { numRuns: 300 },
    );
  });

  it("never prints a secret's value, as recorded by the mock engine", async () => {
    const evaluation = await evaluate({
      stack: "prod9",
      config: {},
      program: () => {
        class Thing extends pulumi.CustomResource {
          constructor(name: string, props: pulumi.Inputs) {
            super("test:index:Thing", name, props);
          }
        }
        new Thing("thing", { password: pulumi.secret("hunter2"), user: "admin" });
      },
    });
    const snap = snapshotOf("prod9", evaluation);
    expect(snap.resources.find((r) => r.name === "thing")!.inputs).toEqual({ password: SECRET_VALUE, user: "admin" });
    expect(renderPlanJson(snap)).not.toContain("hunter2");
  });

  it("strips the provider id from provider references", () => {
    const snap = snapshotOf("prod9", {
      resources: [
        recorded({
          type: "command:local:Command",
          name: "bootstrap",
          provider: "urn:pulumi:prod9::spive-infra::pulumi:providers:command::default::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        }),
      ],
    });
    expect(snap.resources[0]!.provider).toBe("urn:pulumi:prod9::spive-infra::pulumi:providers:command::default");
    expect(providerUrn("not-a-urn::x")).toBe("not-a-urn::x");
  });

  it("rejects JSON that is not a snapshot, naming the source and the field", () => {
    expect(() => parseSnapshot({ format: "spive-plan", version: 1, stack: "prod0", resources: [{ urn: "" }] }, "child output")).toThrow(
      /^child output: expected a spive-plan v1 snapshot, but resources\.0\.urn is invalid/,
    );
  });
});
