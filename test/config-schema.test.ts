import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveTarget } from "../bootstrap/driver/target";
import { ConfigError, loadStackConfig, parseStackConfig, readStackFile, stackFilePath } from "../config/load";
import { KNOWN_STACKS } from "../layers/registry";

type Raw = Record<string, any>;
const committed = (stack: string): Raw => structuredClone(readStackFile(stackFilePath(stack)));

function problemsOf(stack: string, mutate: (raw: Raw) => void): string[] {
  const raw = committed(stack);
  mutate(raw);
  try {
    parseStackConfig(raw, `stacks/Pulumi.${stack}.yaml`);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error("expected the config to be rejected, but it was accepted");
}

describe("committed stack configs", () => {
  it.each(KNOWN_STACKS)("%s validates", (stack) => {
    const cfg = loadStackConfig(stack);
    expect(cfg["spive:layer"].level).toBe(Number(stack.slice(-1)));
  });

  it("prod1 lists every current GCP region, two zones each, at least 2 shards", () => {
    const layer = loadStackConfig("prod1")["spive:layer"];
    expect(layer.regions.length).toBeGreaterThanOrEqual(40);
    expect(layer.shards).toBeGreaterThanOrEqual(2);
    for (const r of layer.regions) expect(r.zones).toHaveLength(2);
  });
});

// One row per config rule: the mutation, and the exact message it must give.
const RULES: [string, string, (raw: Raw) => void, string][] = [
  ["prod1", "three zones in a region", (r) => r["spive:layer"].regions[3].zones.push("asia-northeast1-c"),
    "stacks/Pulumi.prod1.yaml > spive:layer.regions[3].zones: expected exactly 2 zones, got 3 (asia-northeast1-a, asia-northeast1-b, asia-northeast1-c)"],
  ["prod1", "a zone of another region", (r) => (r["spive:layer"].regions[0].zones[1] = "europe-west1-b"),
    'stacks/Pulumi.prod1.yaml > spive:layer.regions[0].zones[1]: expected a zone of region africa-south1, got "europe-west1-b"'],
  ["prod1", "the same zone twice", (r) => (r["spive:layer"].regions[0].zones[1] = "africa-south1-a"),
    "stacks/Pulumi.prod1.yaml > spive:layer.regions[0].zones: expected two different zones, got africa-south1-a, africa-south1-a"],
  ["prod1", "a region listed twice", (r) => r["spive:layer"].regions.push(structuredClone(r["spive:layer"].regions[0])),
    'stacks/Pulumi.prod1.yaml > spive:layer.regions[42].name: expected each region once, got "africa-south1" again (first at regions[0])'],
  ["prod1", "a malformed zone name", (r) => (r["spive:layer"].regions[0].zones[0] = "Africa South"),
    'stacks/Pulumi.prod1.yaml > spive:layer.regions[0].zones[0]: expected a GCP zone name such as europe-west1-b, got "Africa South"'],
  ["prod1", "a sharded layer with one shard", (r) => (r["spive:layer"].shards = 1),
    "stacks/Pulumi.prod1.yaml > spive:layer.shards: expected at least 2 shards on a sharded layer, got 1"],
  ["prod1", "shards of the wrong type", (r) => (r["spive:layer"].shards = "two"),
    'stacks/Pulumi.prod1.yaml > spive:layer.shards: expected number, got "two"'],
  ["prod1", "an unknown key", (r) => (r["spive:layer"].colour = "blue"),
    'stacks/Pulumi.prod1.yaml > spive:layer: expected only known keys, got unknown key "colour"'],
  ["prod1", "an unknown spive: key", (r) => (r["spive:flavour"] = "vanilla"),
    'stacks/Pulumi.prod1.yaml > config: expected only known keys, got unknown key "spive:flavour"'],
  ["prod1", "a missing project", (r) => delete r["gcp:project"],
    "stacks/Pulumi.prod1.yaml > gcp:project: expected string, got nothing"],
  ["prod1", "a malformed project", (r) => (r["gcp:project"] = "Spive_Prod1"),
    'stacks/Pulumi.prod1.yaml > gcp:project: expected a GCP project id (6-30 lowercase letters, digits or hyphens, starting with a letter), got "Spive_Prod1"'],
  ["prod1", "a malformed version", (r) => (r["spive:layer"].version = "latest"),
    'stacks/Pulumi.prod1.yaml > spive:layer.version: expected a version such as 2026.11.3, got "latest"'],
  ["prod1", "an authorized network open to the internet", (r) => (r["spive:network"].authorizedNetworks = [{ name: "all", cidr: "0.0.0.0/0" }]),
    'stacks/Pulumi.prod1.yaml > spive:network.authorizedNetworks[0].cidr: expected a bounded network, not the whole internet (/0), got "0.0.0.0/0"'],
  ["prod1", "an authorized network nothing routes to the private endpoint", (r) => (r["spive:network"].authorizedNetworks = [{ name: "ci-deployers", cidr: "10.255.0.0/24" }]),
    "stacks/Pulumi.prod1.yaml > spive:network.authorizedNetworks[0].cidr: expected a network inside this layer's block 10.64.0.0/10 (the only addresses routed to the private control-plane endpoint; the DNS endpoint needs no allowlist), got 10.255.0.0/24"],
  ["prod1", "overlapping authorized networks", (r) => (r["spive:network"].authorizedNetworks = [{ name: "bastion", cidr: "10.64.160.0/24" }, { name: "wider", cidr: "10.64.160.0/20" }]),
    "stacks/Pulumi.prod1.yaml > spive:network.authorizedNetworks[1].cidr: expected a network that overlaps no other authorized network, got 10.64.160.0/20, which overlaps authorizedNetworks[0] (bastion, 10.64.160.0/24)"],
  ["prod1", "a layer block with host bits set", (r) => (r["spive:network"].cidr = "10.65.0.0/10"),
    'stacks/Pulumi.prod1.yaml > spive:network.cidr: expected a block\'s network address, with no bits set after the prefix (10.64.0.0/10 for this prefix), got "10.65.0.0/10"'],
  ["prod0", "a host-bits typo that would silently widen a range", (r) => (r["spive:network"].cidr = "10.1.0.0/8"),
    'stacks/Pulumi.prod0.yaml > spive:network.cidr: expected a block\'s network address, with no bits set after the prefix (10.0.0.0/8 for this prefix), got "10.1.0.0/8"'],
  ["prod0", "a prod0 block too small for its runner subnet", (r) => (r["spive:network"].cidr = "10.0.0.0/30"),
    "stacks/Pulumi.prod0.yaml > spive:network.cidr: expected a block of /24 or larger on a basic-runner layer (the runner subnet is its first /24), got 10.0.0.0/30"],
  ["prod0", "a block over a reserved range", (r) => (r["spive:network"].cidr = "172.16.0.0/12"),
    "stacks/Pulumi.prod0.yaml > spive:network.cidr: expected a block outside the reserved ranges, got 172.16.0.0/12, which overlaps 172.17.0.0/16 (Docker's default bridge on the Container-Optimized OS runner hosts)"],
  ["prod2", "a node pool larger than a region's pod range", (r) => (r["spive:layer"].nodePool.maxNodesPerZone = 64),
    "stacks/Pulumi.prod2.yaml > spive:layer.nodePool.maxNodesPerZone: expected at most 63 nodes per zone (with maxSurge 1; a region's pod range holds 128 nodes), got 64"],
  ["prod2", "a zone that does not exist", (r) => (r["spive:layer"].regions[3].zones[0] = "europe-west1-a"),
    'stacks/Pulumi.prod2.yaml > spive:layer.regions[3].zones[0]: expected a zone that exists in region europe-west1 (europe-west1-b, europe-west1-c, europe-west1-d; topology/zones.ts), got "europe-west1-a"'],
  ["prod1", "us-east1-a, which Google never opened", (r) => (r["spive:layer"].regions[34].zones[0] = "us-east1-a"),
    'stacks/Pulumi.prod1.yaml > spive:layer.regions[34].zones[0]: expected a zone that exists in region us-east1 (us-east1-b, us-east1-c, us-east1-d; topology/zones.ts), got "us-east1-a"'],
  ["prod1", "a zone letter past the region's last", (r) => (r["spive:layer"].regions[1].zones[1] = "asia-east1-z"),
    'stacks/Pulumi.prod1.yaml > spive:layer.regions[1].zones[1]: expected a zone that exists in region asia-east1 (asia-east1-a, asia-east1-b, asia-east1-c; topology/zones.ts), got "asia-east1-z"'],
  ["prod2", "a retiring region the layer no longer lists", (r) => (r["spive:layer"].retiringRegions = ["us-west4"]),
    'stacks/Pulumi.prod2.yaml > spive:layer.retiringRegions[0]: expected a region the layer still lists in regions (retire it first, then drop it from both lists), got "us-west4"'],
  ["prod1", "a below reference that is not a stack name", (r) => (r["spive:below"].stack = "a/b/c/d"),
    'stacks/Pulumi.prod1.yaml > spive:below.stack: expected a stack name: stack, project/stack or org/project/stack, got "a/b/c/d"'],
  ["prod2", "a region missing from the region catalog", (r) => r["spive:layer"].regions.push({ name: "mars-north1", zones: ["mars-north1-a", "mars-north1-b"] }),
    'stacks/Pulumi.prod2.yaml > spive:layer.regions[8].name: expected a region of the catalog in topology/regions.ts (append a new GCP region there first), got "mars-north1"'],
  ["prod2", "a layer block too small for a region's catalog position", (r) => (r["spive:network"].cidr = "10.128.0.0/12"),
    "stacks/Pulumi.prod2.yaml > spive:network.cidr: expected a block that holds every region's /16 at its catalog position (up to 35, so /10 or larger, such as a /10), got 10.128.0.0/12, which holds 16; 5 region(s) do not fit: europe-west1, europe-west4, southamerica-east1, us-central1, us-east4"],
  ["prod2", "a malformed layer block (reported once, by its own rule)", (r) => (r["spive:network"].cidr = "10.0.0.300/8"),
    'stacks/Pulumi.prod2.yaml > spive:network.cidr: expected an IPv4 CIDR block with octets ≤ 255 and a prefix length ≤ 32, got "10.0.0.300/8"'],
  ["prod2", "a GKE layer block smaller than one region's /16", (r) => (r["spive:network"].cidr = "10.128.0.0/20"),
    "stacks/Pulumi.prod2.yaml > spive:network.cidr: expected a block of /16 or larger on a GKE layer (each region takes a /16), got 10.128.0.0/20"],
  ["prod2", "an Artifact Registry image whose repository cannot be read", (r) => (r["spive:layer"].workload.image = "europe-docker.pkg.dev/example.com/proj/spive/spive-prod2"),
    'stacks/Pulumi.prod2.yaml > spive:layer.workload.image: expected an Artifact Registry image such as europe-docker.pkg.dev/<project>/<repository>/<image> (its repository gets the pull grant), got "europe-docker.pkg.dev/example.com/proj/spive/spive-prod2"'],
  ["prod1", "a canary outside the layer", (r) => (r["spive:rollout"].canaryRegion = "mars-north1"),
    "stacks/Pulumi.prod1.yaml > spive:rollout.canaryRegion: expected one of the layer's regions"],
  ["prod1", "no below reference", (r) => delete r["spive:below"],
    "stacks/Pulumi.prod1.yaml > spive:below: expected the stack of level 0, which manages this layer, got nothing"],
  ["prod1", "a bootstrap block above level 0", (r) => (r["spive:bootstrap"] = {}),
    "stacks/Pulumi.prod1.yaml > spive:bootstrap: expected no bootstrap block on level 1 (only prod-0 is bootstrapped), got one"],
  ["prod1", "a single replica per placement", (r) => (r["spive:layer"].workload.replicas = 1),
    "stacks/Pulumi.prod1.yaml > spive:layer.workload.replicas: expected at least 2 replicas per placement on level 1, got 1"],
  ["prod2", "autoscaling bounds inverted", (r) => (r["spive:layer"].nodePool.maxNodesPerZone = 1),
    "stacks/Pulumi.prod2.yaml > spive:layer.nodePool.maxNodesPerZone: expected more than minNodesPerZone (1), got 1"],
  ["prod2", "HPA bounds inverted", (r) => (r["spive:layer"].workload.maxReplicas = 2),
    "stacks/Pulumi.prod2.yaml > spive:layer.workload.maxReplicas: expected more than replicas (2), got 2"],
  ["prod2", "a discoverable layer without DNS", (r) => delete r["spive:dns"],
    "stacks/Pulumi.prod2.yaml > spive:dns: expected a DNS block on level 2, got nothing"],
  ["prod0", "three zones on prod0", (r) => r["spive:layer"].regions[0].zones.push("europe-west1-d"),
    "stacks/Pulumi.prod0.yaml > spive:layer.regions[0].zones: expected exactly 2 zones, got 3 (europe-west1-b, europe-west1-c, europe-west1-d)"],
  ["prod0", "two regions on prod0", (r) => r["spive:layer"].regions.push({ name: "europe-west4", zones: ["europe-west4-a", "europe-west4-b"] }),
    "stacks/Pulumi.prod0.yaml > spive:layer.regions: expected exactly 1 region on level 0, got 2"],
  ["prod0", "a sharded prod0", (r) => (r["spive:layer"].capabilities.sharded = true),
    "stacks/Pulumi.prod0.yaml > spive:layer.capabilities.sharded: expected false on level 0 (prod-0 is unsharded), got true"],
  ["prod0", "a discoverable prod0", (r) => (r["spive:layer"].capabilities.discoverable = true),
    "stacks/Pulumi.prod0.yaml > spive:layer.capabilities.discoverable: expected false on level 0 (prod-0 is hidden), got true"],
  ["prod0", "prod0 on GKE", (r) => (r["spive:layer"].capabilities.substrate = "gke"),
    'stacks/Pulumi.prod0.yaml > spive:layer.capabilities.substrate: expected "basic-runner" on level 0, got "gke"'],
  ["prod0", "no runner block", (r) => delete r["spive:runner"],
    "stacks/Pulumi.prod0.yaml > spive:runner: expected the runner block on level 0, got nothing"],
  ["prod0", "a runner port below 1024", (r) => (r["spive:runner"].apiPort = 80),
    "stacks/Pulumi.prod0.yaml > spive:runner.apiPort: expected number to be >=1024, got 80"],
  ["prod0", "a phase timeout of zero", (r) => (r["spive:bootstrap"].timeouts.wipeSeconds = 0),
    "stacks/Pulumi.prod0.yaml > spive:bootstrap.timeouts.wipeSeconds: expected number to be >=1, got 0"],
];

describe("every config rule gives its promised message", () => {
  it.each(RULES)("%s: %s", (stack, _what, mutate, message) => {
    const problems = problemsOf(stack, mutate);
    expect(problems.join("\n")).toContain(message);
  });

  it("reports a malformed block once, beside the other problems, without crashing the cross-checks", () => {
    for (const [key, value] of [["cidr", "10.0.0.0/40"], ["cidr", "foo"], ["authorized", "10.300.0.0/24"]] as const) {
      const problems = problemsOf("prod1", (raw) => {
        if (key === "cidr") raw["spive:network"].cidr = value;
        else raw["spive:network"].authorizedNetworks = [{ name: "bad", cidr: value }];
        raw["spive:layer"].regions[3].zones.push("asia-northeast1-c");
      });
      expect(problems).toHaveLength(2);
      expect(problems.join("\n")).toContain("spive:layer.regions[3].zones: expected exactly 2 zones");
      expect(problems.join("\n")).toContain(`"${value}"`);
    }
  });

  it("accepts opt-in IP access with a real range inside the layer's block", () => {
    const raw = committed("prod1");
    raw["spive:network"].authorizedNetworks = [{ name: "bastion", cidr: "10.64.160.0/24" }];
    expect(parseStackConfig(raw, "stacks/Pulumi.prod1.yaml")["spive:network"].authorizedNetworks).toHaveLength(1);
  });

  it("reports every problem at once, in one error naming the file", () => {
    const raw = committed("prod1");
    raw["spive:layer"].regions[3].zones.push("asia-northeast1-c");
    raw["spive:layer"].shards = "two";
    raw["spive:network"].authorizedNetworks = [{ name: "all", cidr: "0.0.0.0/0" }];
    expect(() => parseStackConfig(raw, "stacks/Pulumi.prod1.yaml")).toThrowError(/^Invalid stack configuration \(3 problems\):\n {2}stacks\/Pulumi\.prod1\.yaml > /);
  });

  it("a YAML syntax error names file:line:column and the reason, and does not end in a dangling colon", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-yaml-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.prod1.yaml"), "config:\n  gcp:project: spive-prod1\n  spive:layer\n    level: 1\n");
      let message = "";
      try {
        loadStackConfig("prod1", dir);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/Pulumi\.prod1\.yaml:3:3: expected YAML, got a syntax error: Implicit keys need to be on a single line$/);
      expect(message).not.toMatch(/:\s*$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a misspelled top-level key (configs:) is named, not reported as a missing config map", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-yaml-"));
    try {
      const text = fs.readFileSync(stackFilePath("prod1"), "utf8").replace(/^config:/m, "configs:");
      fs.writeFileSync(path.join(dir, "Pulumi.prod1.yaml"), text);
      expect(() => loadStackConfig("prod1", dir)).toThrowError(
        /Pulumi\.prod1\.yaml: expected only the top-level keys of a Pulumi stack file \(config, environment, secretsprovider, encryptedkey, encryptionsalt\), got unknown key "configs"$/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bootstrap run --target dev-0 refuses a prod0 block too small for its subnet, naming file and key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-prod0-"));
    try {
      const text = fs.readFileSync(stackFilePath("prod0"), "utf8").replace("cidr: 10.0.0.0/16", "cidr: 10.0.0.0/30");
      expect(text).toContain("cidr: 10.0.0.0/30");
      fs.writeFileSync(path.join(dir, "Pulumi.prod0.yaml"), text);
      expect(() => resolveTarget("dev-0", { stacksDir: dir })).toThrowError(
        "Pulumi.prod0.yaml > spive:network.cidr: expected a block of /24 or larger on a basic-runner layer (the runner subnet is its first /24), got 10.0.0.0/30",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a missing stack file names the file", () => {
    expect(() => loadStackConfig("prod9")).toThrowError("stacks/Pulumi.prod9.yaml: expected a stack config file, got none (it does not exist or cannot be read)");
  });
});
