import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of one SpiveProdN (or ecosystem) workload. */
export interface SpiveWorkloadArgs {
  /** The namespace. */
  readonly namespace: pulumi.Input<string>;
  /** The app label, e.g. `spive-prod1` or `spive-prod1-scaler`. */
  readonly app: string;
  /** Extra pod labels (shard, zone, region). */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels on the Deployment object only (e.g. its rollout wave), so changing them never restarts pods. */
  readonly deploymentLabels?: Readonly<Record<string, string>>;
  /** The tagged image. */
  readonly image: string;
  /** Container arguments. */
  readonly args: readonly string[];
  /** Fixed replicas, or the HPA's bounds (then the Deployment leaves `replicas` to the HPA). */
  readonly scale: { readonly replicas: number } | { readonly min: number; readonly max: number; readonly targetCpuPercent: number };
  /** CPU request and limit. */
  readonly cpu: string;
  /** Memory request and limit. */
  readonly memory: string;
  /** Container port (HTTP: /healthz, /readyz). */
  readonly port: number;
  /** The Kubernetes service account (bound to a GCP identity by Workload Identity). */
  readonly serviceAccountName: pulumi.Input<string>;
  /** Pin to one zone (a placement), or spread evenly across the region's zones. */
  readonly zone?: string;
  /** The cluster's provider. */
  readonly provider: k8s.Provider;
  /** Resources that must be ready first (the previous rollout wave). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The restricted pod template of a Spive workload: non-root, no privilege escalation, all capabilities dropped, read-only root, RuntimeDefault seccomp, probes, requests = limits, spread across zones and hosts. */
export function podTemplate(args: Omit<SpiveWorkloadArgs, "namespace" | "provider" | "dependsOn" | "scale" | "deploymentLabels">, selector: Record<string, string>): k8s.types.input.core.v1.PodTemplateSpec {
  const spread: k8s.types.input.core.v1.TopologySpreadConstraint[] = [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: args.zone ? "ScheduleAnyway" : "DoNotSchedule", labelSelector: { matchLabels: selector } },
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
  ];
  return {
    metadata: { labels: { ...selector, ...args.labels } },
    spec: {
      serviceAccountName: args.serviceAccountName,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
      nodeSelector: args.zone ? { "topology.kubernetes.io/zone": args.zone } : undefined,
      topologySpreadConstraints: spread,
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: "spive",
          image: args.image,
          args: [...args.args],
          ports: [{ name: "http", containerPort: args.port }],
          resources: { requests: { cpu: args.cpu, memory: args.memory }, limits: { cpu: args.cpu, memory: args.memory } },
          readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
          livenessProbe: { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
        },
      ],
    },
  };
}

/**
 * One Spive workload: a surge-only Deployment (maxUnavailable 0, maxSurge 1)
 * whose rollout the Kubernetes provider awaits, a PodDisruptionBudget, and on
 * autoscaled layers an HPA that owns the replica count (the Deployment then
 * omits `replicas`, so a stack run never resets what the HPA chose).
 */
export class SpiveWorkload extends pulumi.ComponentResource {
  /** The Deployment (the next rollout wave depends on it). */
  readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: SpiveWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:SpiveWorkload", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const selector: Record<string, string> = { app: args.app, placement: name };
    const fixed = "replicas" in args.scale ? args.scale.replicas : undefined;
    this.deployment = new k8s.apps.v1.Deployment(name, {
      metadata: { name, namespace: args.namespace, labels: { app: args.app, ...args.deploymentLabels }, annotations: { "pulumi.com/timeoutSeconds": "900" } },
      spec: {
        ...(fixed !== undefined ? { replicas: fixed } : {}),
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        minReadySeconds: 10,
        progressDeadlineSeconds: 600,
        revisionHistoryLimit: 5,
        template: podTemplate(args, selector),
      },
    }, { ...child, dependsOn: args.dependsOn });
    new k8s.policy.v1.PodDisruptionBudget(name, {
      metadata: { name, namespace: args.namespace },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    }, child);
    if (!("replicas" in args.scale)) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, {
        metadata: { name, namespace: args.namespace },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: args.scale.min,
          maxReplicas: args.scale.max,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.scale.targetCpuPercent } } }],
        },
      }, child);
    }
    this.registerOutputs({ deployment: this.deployment.metadata.name });
  }
}
