import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { apiShortName, apisFor } from "../../topology/apis";

/** Inputs of a layer's enabled APIs. */
export interface ProjectApisArgs {
  /** The layer's GCP project: the APIs are enabled there. */
  readonly project: string;
  /** Name prefix, e.g. `spive-prod1`. */
  readonly prefix: string;
  /** APIs enabled whatever the layer declares (what its workloads and deployer call at run time). */
  readonly runtime: readonly string[];
}

/**
 * The Google Cloud APIs of a layer's project, as `gcp.projects.Service`
 * resources that stay enabled when the stack is destroyed
 * (`disableOnDestroy: false`: another stack or an operator may rely on them).
 *
 * Pass {@link ProjectApis.opts} to every resource and component the layer
 * declares: its transformation looks each resource type up in
 * `topology/apis.ts`, enables the APIs it needs (once per API) and adds them
 * to the resource's `dependsOn`, so nothing is created before its API is on.
 * Resources in another project (a grant on the artifacts repository) are
 * left alone: that project's owners enable its APIs.
 */
export class ProjectApis extends pulumi.ComponentResource {
  /** The Service of each enabled API, by API name. */
  readonly services = new Map<string, gcp.projects.Service>();
  /** Resource options carrying the transformation (children of a component inherit it). */
  readonly opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
  private readonly args: ProjectApisArgs;

  constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:ProjectApis", name, {}, opts);
    this.args = args;
    for (const api of args.runtime) this.enable(api);
    const transformation: pulumi.ResourceTransformation = (t) => {
      const apis = apisFor(t.type);
      if (!apis || apis.length === 0) return undefined;
      const project = t.props["project"];
      if (typeof project === "string" && project !== args.project) return undefined;
      const needed = apis.map((api) => this.enable(api));
      return { props: t.props, opts: pulumi.mergeOptions(t.opts, { dependsOn: needed }) };
    };
    this.opts = { transformations: [transformation] };
    this.registerOutputs({});
  }

  /** The Service enabling `api` in the layer's project, declared on first use. */
  enable(api: string): gcp.projects.Service {
    let service = this.services.get(api);
    if (!service) {
      service = new gcp.projects.Service(`${this.args.prefix}-api-${apiShortName(api)}`, {
        project: this.args.project,
        service: api,
        disableOnDestroy: false,
        disableDependentServices: false,
      }, { parent: this });
      this.services.set(api, service);
    }
    return service;
  }
}
