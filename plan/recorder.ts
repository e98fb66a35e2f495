import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, type MockResourceArgs, type MockResourceResult, type Mocks } from "@pulumi/pulumi/runtime/mocks";

/**
 * The offline evaluator: runs a layer program on Pulumi's mock engine and
 * records every resource it declares. It is product code: `spive plan`,
 * `spive diff`, `spive policy`, the benchmarks and the tests all use this one
 * recorder, so what reviewers see is what the tests assert.
 */

// Internal runtime modules, pinned with @pulumi/pulumi ~3.248: the public
// `setMocks` hides the parent, dependencies and options the recorder needs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as {
  setMockOptions(monitor: unknown, project?: string, stack?: string, preview?: boolean, organization?: string): void;
  waitForRPCs(): Promise<void>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const resproto = require("@pulumi/pulumi/proto/resource_pb") as { RegisterResourceResponse: new () => any };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(v: unknown): unknown } };

/** One resource the program declared, as the engine received it. */
export interface RecordedResource {
  /** The resource's URN (mock form: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`). */
  readonly urn: string;
  /** The type token, e.g. `gcp:container/cluster:Cluster`. */
  readonly type: string;
  /** The logical name. */
  readonly name: string;
  /** The parent's URN, if any (the stack root is not recorded). */
  readonly parent?: string;
  /** True for provider-managed resources, false for components. */
  readonly custom: boolean;
  /** The resource's inputs, with unknowns and secrets resolved as the mock engine sees them. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: Record<string, any>;
  /** URNs this resource depends on: its `dependsOn` plus the resources its inputs' Outputs come from. */
  readonly dependsOn: readonly string[];
  /** Whether `protect` is set. */
  readonly protect: boolean;
  /** Properties listed in `ignoreChanges`. */
  readonly ignoreChanges: readonly string[];
  /** Whether `deleteBeforeReplace` is set (present only when true). */
  readonly deleteBeforeReplace?: boolean;
  /** The provider reference, if an explicit provider was given. */
  readonly provider?: string;
  /** True for reads (e.g. StackReference) rather than registrations. */
  readonly read: boolean;
}

/** The result of evaluating one program offline. */
export interface Evaluation {
  /** Every recorded resource, sorted by type then URN. */
  readonly resources: RecordedResource[];
  /** The program's stack outputs, resolved (empty on previews, where unknowns never resolve). */
  readonly outputs: Record<string, unknown>;
}

/** What to evaluate. */
export interface EvaluateOptions {
  /** The stack name, e.g. `prod1` (what `pulumi.getStack()` returns). */
  readonly stack: string;
  /** The Pulumi project name (default `spive-infra`). */
  readonly project?: string;
  /** Pulumi's flat config map: `{"spive:layer": "<json>", "gcp:project": "spive-prod1"}`. */
  readonly config: Record<string, string>;
  /** Evaluate as a preview (`pulumi.runtime.isDryRun()` is then true). */
  readonly preview?: boolean;
  /** The Pulumi organization (`pulumi.getOrganization()`; default `spive`). */
  readonly organization?: string;
  /** Outputs of stacks this one references, by fully qualified stack name. */
  readonly stackReferences?: Record<string, Record<string, unknown>>;
  /** The program: declares resources and returns its stack outputs. */
  readonly program: () => unknown;
}

const DIGEST = (s: string): string => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
};

/** The name servers the mock engine gives every managed zone. */
export const MOCK_NAME_SERVERS: readonly string[] = ["ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com."];

/** The DS record the mock engine gives the key-signing key of managed zone `zone` (`<key tag> 8 2 <SHA-256 digest>`). */
export function mockDsRecord(zone: string): string {
  const digest = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => DIGEST(`${zone}#${i}`)).join("").toUpperCase();
  return `${parseInt(DIGEST(zone).slice(0, 4), 16)} 8 2 ${digest}`;
}

/**
 * Plausible provider-computed outputs, so programs that read them (emails,
 * endpoints, certificates) evaluate; deterministic from type and name.
 */
export function mockComputedState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const project = (inputs.project as string | undefined) ?? "mock-project";
  // Kubernetes objects echo only their identity: nothing reads a Deployment's
  // spec back, and echoing large pod templates would double the serialisation work.
  const out: Record<string, unknown> = type.startsWith("kubernetes:") ? { apiVersion: inputs.apiVersion, kind: inputs.kind, metadata: inputs.metadata } : { ...inputs };
  if (inputs.name === undefined) out.name = name;
  out.selfLink = `https://mock.googleapis.com/projects/${project}/${type.split(":")[1]}/${name}`;
  switch (type) {
    case "gcp:serviceaccount/account:Account":
      out.email = `${inputs.accountId ?? name}@${project}.iam.gserviceaccount.com`;
      out.member = `serviceAccount:${out.email}`;
      break;
    case "gcp:container/cluster:Cluster":
      out.endpoint = `10.${parseInt(DIGEST(name).slice(0, 2), 16)}.0.2`;
      out.masterAuth = { clusterCaCertificate: Buffer.from(`mock-ca-${name}`).toString("base64") };
      // GKE's DNS-based control-plane endpoint, as the API reports it (`<uid>.<location>.gke.goog`).
      out.controlPlaneEndpointsConfig = {
        ...(inputs.controlPlaneEndpointsConfig ?? {}),
        dnsEndpointConfig: { ...(inputs.controlPlaneEndpointsConfig?.dnsEndpointConfig ?? {}), endpoint: `gke-${DIGEST(name)}${DIGEST(`${name}#dns`)}.${inputs.location ?? "mock-location"}.gke.goog` },
      };
      break;
    case "gcp:dns/managedZone:ManagedZone":
      out.nameServers = [...MOCK_NAME_SERVERS];
      break;
    case "gcp:compute/globalAddress:GlobalAddress":
    case "gcp:compute/address:Address":
      out.address = `203.0.113.${parseInt(DIGEST(name).slice(0, 2), 16) % 250}`;
      break;
    case "gcp:compute/instance:Instance":
      out.instanceId = DIGEST(name);
      break;
    default:
      break;
  }
  return out;
}

class RecordingMonitor extends MockMonitor {
  readonly recorded: RecordedResource[] = [];

  constructor(mocks: Mocks, private readonly stackName: string, private readonly projectName: string) {
    super(mocks);
  }

  private urnOf(parent: string, type: string, name: string): string {
    let qualified = type;
    if (parent) qualified = `${parent.split("::")[2]!.split("$").pop()}$${type}`;
    return `urn:pulumi:${this.stackName}::${this.projectName}::${qualified}::${name}`;
  }

  // Replaces MockMonitor.registerResource (same behaviour) so inputs are
  // deserialised once and the recorded copy is the one the mock sees.
  override async registerResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
    try {
      const parent: string = req.getParent();
      const type: string = req.getType();
      const name: string = req.getName();
      const inputs = pulumi.runtime.deserializeProperties(req.getObject());
      const urn = this.urnOf(parent, type, name);
      if (type !== "pulumi:pulumi:Stack") {
        this.recorded.push({
          urn,
          type,
          name,
          parent: parent || undefined,
          custom: req.getCustom(),
          inputs,
          dependsOn: (req.getDependenciesList() as string[]).slice().sort(),
          protect: Boolean(req.getProtect()),
          ignoreChanges: (req.getIgnorechangesList() as string[]).slice(),
          ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true } : {}),
          provider: req.getProvider() || undefined,
          read: false,
        });
      }
      const result = await this.mocks.newResource({ type, name, inputs, provider: req.getProvider(), custom: req.getCustom(), id: req.getImportid() });
      const serialized = await pulumi.runtime.serializeProperties("", result.state);
      this.resources.set(urn, { urn, id: result.id ?? null, state: serialized });
      const response = new resproto.RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id || "");
      response.setObject(structproto.Struct.fromJavaScript(serialized));
      callback(null, response);
    } catch (err) {
      callback(err, undefined);
    }
  }

  override async readResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
    this.recorded.push({
      urn: this.urnOf(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      parent: undefined,
      custom: true,
      inputs: pulumi.runtime.deserializeProperties(req.getProperties()),
      dependsOn: [],
      protect: false,
      ignoreChanges: [],
      provider: req.getProvider() || undefined,
      read: true,
    });
    return super.readResource(req, callback);
  }
}

let running = false;

/** Resolves a (possibly nested) Output value; call only outside previews. */
export function resolveOutput<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((v) => {
      resolve(v as pulumi.Unwrap<T>);
      return v;
    });
  });
}

/**
 * Evaluates `program` on the mock engine and returns what it declared.
 * Evaluations in one process run one at a time (the runtime is process-wide).
 * Errors thrown by the program (e.g. a config error) reject the promise as they are.
 */
export async function evaluate(opts: EvaluateOptions): Promise<Evaluation> {
  if (running) throw new Error("evaluate: another evaluation is running in this process; evaluations must run one at a time.");
  running = true;
  const project = opts.project ?? "spive-infra";
  // The runtime captures a stack trace for every input property of every
  // resource (debug aids for leaked promises and source positions), and
  // formatting them through source maps dominated evaluation time. Offline
  // evaluation reports errors by message, so it turns both off meanwhile.
  const sourceMaps = process.sourceMapsEnabled;
  const stackTraceLimit = Error.stackTraceLimit;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
  try {
    const refs = opts.stackReferences ?? {};
    const mocks: Mocks = {
      newResource(args: MockResourceArgs): MockResourceResult {
        if (args.type === "pulumi:pulumi:StackReference") {
          const name = String(args.inputs.name ?? args.name);
          const outputs = refs[name];
          if (!outputs) {
            throw new Error(`StackReference ${name}: the offline evaluation has no outputs for this stack; give them in stackReferences.`);
          }
          return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        return { id: `${args.name}-id`, state: mockComputedState(args.type, args.name, args.inputs) };
      },
      call(args) {
        if (args.token === "gcp:dns/getKeys:getKeys") {
          const zone = String(args.inputs.managedZone);
          return { managedZone: zone, keySigningKeys: [{ dsRecord: mockDsRecord(zone), algorithm: "rsasha256", keyTag: Number(mockDsRecord(zone).split(" ")[0]) }], zoneSigningKeys: [] };
        }
        return args.inputs;
      },
    };
    const monitor = new RecordingMonitor(mocks, opts.stack, project);
    settings.setMockOptions(monitor, project, opts.stack, opts.preview ?? false, opts.organization ?? "spive");
    const store = state.getStore();
    Object.assign(store, {
      supportsSecrets: true,
      supportsResourceReferences: true,
      supportsOutputValues: false,
      supportsDeletedWith: true,
      supportsReplaceWith: true,
      supportsAliasSpecs: true,
      supportsTransforms: false,
      supportsParameterization: true,
    });
    pulumi.runtime.setAllConfig(opts.config, []);
    const returned = await opts.program();
    let outputs: Record<string, unknown> = {};
    if (!opts.preview && returned && typeof returned === "object") {
      outputs = (await resolveOutput(returned as Record<string, unknown>)) as Record<string, unknown>;
    }
    await settings.waitForRPCs();
    const resources = monitor.recorded.slice().sort((a, b) => (a.type === b.type ? (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0) : a.type < b.type ? -1 : 1));
    return { resources, outputs };
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = stackTraceLimit;
    running = false;
  }
}

/** Encodes a raw config map (as in a stack YAML file) into Pulumi's flat string form. */
export function flattenConfig(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}
