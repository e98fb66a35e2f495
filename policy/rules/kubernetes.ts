import {
  at,
  expectAt,
  isUnknown,
  layerLevelOfStack,
  only,
  show,
  stackOfUrn,
  type Props,
  type ResourceRule,
  type StackFinding,
  type StackResource,
  type StackRule,
} from "../model";

/**
 * Kubernetes workload guardrails: every pod a Deployment, StatefulSet or
 * DaemonSet creates meets Pod Security "restricted", sizes itself, reports
 * its health, and (for replicated workloads) survives a zone loss and a node
 * drain: zone spread, a PodDisruptionBudget, and at least two replicas on
 * prod-1 and above.
 */

/** The Deployment type token. */
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
/** The StatefulSet type token. */
export const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
/** The DaemonSet type token. */
export const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
/** Workloads with a pod template. */
export const WORKLOAD_TYPES: readonly string[] = [DEPLOYMENT, STATEFUL_SET, DAEMON_SET];
/** Workloads with a replica count (a DaemonSet runs one pod per node instead). */
export const REPLICATED_TYPES: readonly string[] = [DEPLOYMENT, STATEFUL_SET];
/** PodDisruptionBudget type tokens. */
export const PDB_TYPES: readonly string[] = ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"];
/** HorizontalPodAutoscaler type tokens. */
export const HPA_TYPES: readonly string[] = [
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
  "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
];

/** The zone label every GKE node carries. */
export const ZONE_KEY = "topology.kubernetes.io/zone";

const PSS = "Kubernetes Pod Security Standards: restricted; CIS GKE Benchmark 1.5.0 4.2.1";
const POD = "spec.template.spec";

/** Volume sources Pod Security "restricted" allows. */
export const RESTRICTED_VOLUME_TYPES: readonly string[] = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

interface Container {
  readonly path: string;
  readonly value: unknown;
  readonly init: boolean;
}

/** Every container of the pod template, with its path (`spec.template.spec.containers.0 (name)`). */
function containers(inputs: Props): Container[] {
  const out: Container[] = [];
  for (const [field, init] of [["containers", false], ["initContainers", true]] as const) {
    const list = at(inputs, `${POD}.${field}`);
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const name = at(c, "name");
      out.push({ path: `${POD}.${field}.${i}${typeof name === "string" ? ` (${name})` : ""}`, value: c, init });
    });
  }
  return out;
}

/** The effective value of a security-context field: the container's, else the pod's. */
function effective(c: Container, inputs: Props, field: string): { value: unknown; path: string } {
  const own = at(c.value, `securityContext.${field}`);
  if (own !== undefined) return { value: own, path: `${c.path}.securityContext.${field}` };
  return { value: at(inputs, `${POD}.securityContext.${field}`), path: `${c.path}.securityContext.${field} (or ${POD}.securityContext.${field})` };
}

function judge(value: unknown, path: string, ok: (v: unknown) => boolean, expected: string): string[] {
  return isUnknown(value) || ok(value) ? [] : [`${path}: expected ${expected}, got ${show(value)}.`];
}

/** Pod Security "restricted": the checks decidable from a pod template. */
export function podSecurityViolations(inputs: Props): string[] {
  const out: string[] = [];
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    out.push(...expectAt(inputs, `${POD}.${field}`, (v) => v !== true, "unset or false"));
  }
  const volumes = at(inputs, `${POD}.volumes`);
  if (Array.isArray(volumes)) {
    volumes.forEach((v, i) => {
      if (isUnknown(v) || v === null || typeof v !== "object") return;
      const sources = Object.keys(v).filter((k) => k !== "name");
      const bad = sources.filter((k) => !RESTRICTED_VOLUME_TYPES.includes(k));
      if (bad.length > 0) out.push(`${POD}.volumes.${i}: expected only ${RESTRICTED_VOLUME_TYPES.join(", ")} volumes, got ${bad.join(", ")}.`);
    });
  }
  for (const c of containers(inputs)) {
    if (isUnknown(c.value)) continue;
    out.push(...expectAt(c.value, "securityContext.privileged", (v) => v !== true, "unset or false", `${c.path}.`));
    out.push(...expectAt(c.value, "securityContext.allowPrivilegeEscalation", (v) => v === false, "false", `${c.path}.`));
    const nonRoot = effective(c, inputs, "runAsNonRoot");
    out.push(...judge(nonRoot.value, nonRoot.path, (v) => v === true, "true"));
    const user = effective(c, inputs, "runAsUser");
    out.push(...judge(user.value, user.path, (v) => v !== 0, "unset or a non-zero user id"));
    const seccomp = effective(c, inputs, "seccompProfile.type");
    out.push(...judge(seccomp.value, seccomp.path, (v) => v === "RuntimeDefault" || v === "Localhost", '"RuntimeDefault" or "Localhost"'));
    out.push(...expectAt(c.value, "securityContext.capabilities.drop", (v) => Array.isArray(v) && v.includes("ALL"), 'a list containing "ALL"', `${c.path}.`));
    out.push(...expectAt(c.value, "securityContext.capabilities.add", (v) => v === undefined || (Array.isArray(v) && v.every((x) => x === "NET_BIND_SERVICE")), 'unset or only "NET_BIND_SERVICE"', `${c.path}.`));
    const ports = at(c.value, "ports");
    if (Array.isArray(ports)) {
      ports.forEach((p, i) => out.push(...expectAt(p, "hostPort", (v) => v === undefined || v === 0, "unset (no host port)", `${c.path}.ports.${i}.`)));
    }
  }
  return out;
}

/** Pod Security "restricted" on every workload. */
export const k8sPodSecurityRestricted: ResourceRule = {
  kind: "resource",
  id: "k8s-pod-security-restricted",
  description:
    "Workload pods meet Pod Security \"restricted\": non-root, no privilege escalation, all capabilities dropped, RuntimeDefault or Localhost seccomp, not privileged, no host namespaces, host paths or host ports.",
  control: PSS,
  types: WORKLOAD_TYPES,
  appliesTo: only(...WORKLOAD_TYPES),
  check: (_type, inputs) => podSecurityViolations(inputs),
};

/** CPU and memory requests and limits on every container. */
export const k8sResources: ResourceRule = {
  kind: "resource",
  id: "k8s-resources",
  description: "Every container requests and limits CPU and memory, so the scheduler places it and a noisy neighbour cannot starve it.",
  control: "Spive reliability R2 (GKE best practice: set resource requests and limits)",
  types: WORKLOAD_TYPES,
  appliesTo: only(...WORKLOAD_TYPES),
  check: (_type, inputs) =>
    containers(inputs).flatMap((c) =>
      ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].flatMap((q) =>
        expectAt(c.value, `resources.${q}`, (v) => (typeof v === "string" && v !== "") || typeof v === "number", "a quantity", `${c.path}.`),
      ),
    ),
};

/** Readiness and liveness probes on every (non-init) container. */
export const k8sProbes: ResourceRule = {
  kind: "resource",
  id: "k8s-probes",
  description: "Every container has a readiness probe (rollouts and load balancers wait for it) and a liveness probe (a hung process is restarted).",
  control: "Spive reliability R3 (rolling upgrades gate on readiness: docs/rolling-upgrade.md)",
  types: WORKLOAD_TYPES,
  appliesTo: only(...WORKLOAD_TYPES),
  check: (_type, inputs) =>
    containers(inputs)
      .filter((c) => !c.init)
      .flatMap((c) =>
        ["readinessProbe", "livenessProbe"].flatMap((p) => expectAt(c.value, p, (v) => v !== undefined && v !== null, "a probe", `${c.path}.`)),
      ),
};

/** Zone spread: a zone topology spread constraint, or a zone pin (one placement per zone). */
export const k8sZoneSpread: ResourceRule = {
  kind: "resource",
  id: "k8s-zone-spread",
  description: `Replicated workloads survive a zone loss: a topologySpreadConstraint on ${ZONE_KEY}, or a nodeSelector pinning one zone (a per-zone placement; its siblings cover the other zones).`,
  control: "Spive reliability R4 (every region runs in 2 zones and pods spread across them)",
  types: REPLICATED_TYPES,
  appliesTo: only(...REPLICATED_TYPES),
  check: (_type, inputs) => {
    const spread = at(inputs, `${POD}.topologySpreadConstraints`);
    const selector = at(inputs, `${POD}.nodeSelector`);
    // The label key contains dots, so it is read directly rather than through a dotted path.
    const zonePin = selector !== null && typeof selector === "object" ? (selector as Record<string, unknown>)[ZONE_KEY] : undefined;
    if (isUnknown(spread) || isUnknown(selector) || isUnknown(zonePin)) return [];
    if (Array.isArray(spread) && spread.some((s) => at(s, "topologyKey") === ZONE_KEY || isUnknown(at(s, "topologyKey")))) return [];
    if (typeof zonePin === "string" && zonePin !== "") return [];
    return [`${POD}.topologySpreadConstraints: expected a constraint with topologyKey "${ZONE_KEY}" (or a nodeSelector pinning a zone), got ${show(spread)}.`];
  },
};

interface Workload {
  readonly r: StackResource;
  readonly kind: string;
  readonly name: unknown;
  readonly namespace: unknown;
}

const KIND_OF: Readonly<Record<string, string>> = { [DEPLOYMENT]: "Deployment", [STATEFUL_SET]: "StatefulSet", [DAEMON_SET]: "DaemonSet" };

function namespaceOf(props: Props): unknown {
  const ns = at(props, "metadata.namespace");
  return ns === undefined || ns === "" ? "default" : ns;
}

function workloads(resources: readonly StackResource[]): Workload[] {
  return resources
    .filter((r) => REPLICATED_TYPES.includes(r.type))
    .map((r) => ({ r, kind: KIND_OF[r.type]!, name: at(r.props, "metadata.name") ?? r.name, namespace: namespaceOf(r.props) }));
}

/** Same cluster (provider) and namespace; an unknown namespace matches any (it cannot be judged yet). */
function sameScope(a: StackResource, aNs: unknown, b: StackResource, bNs: unknown): boolean {
  return a.provider === b.provider && (isUnknown(aNs) || isUnknown(bNs) || aNs === bNs);
}

/**
 * Kubernetes label-selector semantics (matchLabels and matchExpressions);
 * a missing selector selects nothing, an empty one everything. Unknown parts
 * count as a match.
 */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  if (isUnknown(selector) || isUnknown(labels)) return true;
  if (selector === undefined || selector === null || typeof selector !== "object") return false;
  const have = labels !== null && typeof labels === "object" ? (labels as Record<string, unknown>) : {};
  const matchLabels = at(selector, "matchLabels");
  if (isUnknown(matchLabels)) return true;
  if (matchLabels && typeof matchLabels === "object") {
    for (const [k, v] of Object.entries(matchLabels)) if (!isUnknown(v) && !isUnknown(have[k]) && have[k] !== v) return false;
  }
  const exprs = at(selector, "matchExpressions");
  if (isUnknown(exprs)) return true;
  for (const e of Array.isArray(exprs) ? exprs : []) {
    const key = String(at(e, "key"));
    const values = at(e, "values");
    const list = Array.isArray(values) ? values : [];
    const present = key in have;
    switch (at(e, "operator")) {
      case "In":
        if (!present || !list.includes(have[key])) return false;
        break;
      case "NotIn":
        if (present && list.includes(have[key])) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Stack rule logic: every Deployment and StatefulSet is covered by a PodDisruptionBudget in its namespace on its cluster. */
export function missingDisruptionBudgets(resources: readonly StackResource[]): StackFinding[] {
  const pdbs = resources.filter((r) => PDB_TYPES.includes(r.type)).map((r) => ({ r, namespace: namespaceOf(r.props) }));
  return workloads(resources).flatMap((w) => {
    const labels = at(w.r.props, "spec.template.metadata.labels");
    const covered = pdbs.some((p) => sameScope(w.r, w.namespace, p.r, p.namespace) && selectorMatches(at(p.r.props, "spec.selector"), labels));
    return covered
      ? []
      : [
          {
            urn: w.r.urn,
            message: `${w.kind} "${String(w.name)}" in namespace ${show(w.namespace)}: expected a PodDisruptionBudget in the same namespace on the same cluster whose selector matches its pod labels ${show(labels)}, got none.`,
          },
        ];
  });
}

/** Stack rule logic: on prod-1 and above, every Deployment and StatefulSet keeps at least `min` replicas (the HPA's minReplicas when an HPA owns the count). */
export function tooFewReplicas(resources: readonly StackResource[], min = 2): StackFinding[] {
  const hpas = resources.filter((r) => HPA_TYPES.includes(r.type)).map((r) => ({ r, namespace: namespaceOf(r.props) }));
  return workloads(resources).flatMap((w) => {
    const stack = stackOfUrn(w.r.urn);
    const level = layerLevelOfStack(stack);
    if (level === undefined || level < 1) return [];
    const hpa = hpas.find(
      (h) =>
        sameScope(w.r, w.namespace, h.r, h.namespace) &&
        at(h.r.props, "spec.scaleTargetRef.kind") === w.kind &&
        (isUnknown(w.name) || isUnknown(at(h.r.props, "spec.scaleTargetRef.name")) || at(h.r.props, "spec.scaleTargetRef.name") === w.name),
    );
    const [value, where] = hpa
      ? [at(hpa.r.props, "spec.minReplicas") ?? 1, `HorizontalPodAutoscaler "${String(at(hpa.r.props, "metadata.name") ?? hpa.r.name)}" spec.minReplicas`]
      : [at(w.r.props, "spec.replicas") ?? 1, "spec.replicas"];
    if (isUnknown(value) || (typeof value === "number" && value >= min)) return [];
    return [{ urn: w.r.urn, message: `${w.kind} "${String(w.name)}" on stack ${stack} (prod-${level}): ${where}: expected at least ${min} replicas, got ${show(value)}${hpa || at(w.r.props, "spec.replicas") !== undefined ? "" : " (unset means 1)"}.` }];
  });
}

/** Every replicated workload has a PodDisruptionBudget. */
export const k8sPodDisruptionBudget: StackRule = {
  kind: "stack",
  id: "k8s-pod-disruption-budget",
  description: "Every Deployment and StatefulSet is matched by a PodDisruptionBudget selector in its namespace on its cluster, so node drains and upgrades keep it available.",
  control: "Spive reliability R5 (each Deployment has a PodDisruptionBudget: docs/rolling-upgrade.md)",
  types: [...REPLICATED_TYPES, ...PDB_TYPES],
  check: missingDisruptionBudgets,
};

/** At least two replicas on prod-1 and above. */
export const k8sMinReplicas: StackRule = {
  kind: "stack",
  id: "k8s-min-replicas",
  description: "On prod-1 and above every Deployment and StatefulSet runs at least 2 replicas (checked on the HPA's minReplicas when an HPA owns the count).",
  control: "Spive reliability R6 (no single pod is a single point of failure on prod-1+)",
  types: [...REPLICATED_TYPES, ...HPA_TYPES],
  check: (resources) => tooFewReplicas(resources),
};

/** Every Kubernetes resource rule. */
export const K8S_RESOURCE_RULES: readonly ResourceRule[] = [k8sPodSecurityRestricted, k8sResources, k8sProbes, k8sZoneSpread];
/** Every Kubernetes stack rule. */
export const K8S_STACK_RULES: readonly StackRule[] = [k8sPodDisruptionBudget, k8sMinReplicas];
