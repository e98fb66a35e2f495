import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { BootstrapRunPlan } from "../../bootstrap/driver/trigger";

/** Inputs of the prod-0 bootstrap. */
export interface ProdBootstrapArgs {
  /** The planned run (`planBootstrapRun`): command, binding environment, triggers, timeout. */
  readonly plan: BootstrapRunPlan;
  /** What must exist before the bootstrap runs: the runner hosts, the event store, the firewall to the runner API. */
  readonly after: readonly pulumi.Resource[];
}

/**
 * The prod-0 bootstrap as a resource: a `@pulumi/command` local.Command that
 * runs the bootstrap driver in the deployment container. Its triggers change
 * on every run, so every `pulumi up -s prod0` replaces it (runs the driver:
 * wipe and replay) and every preview shows the replacement without running
 * anything. Declared after (dependsOn) the runner hosts and the event store
 * it binds to. No delete command: removing it touches nothing.
 */
export class ProdBootstrap extends pulumi.ComponentResource {
  /** The command resource that runs the driver. */
  readonly run: command.local.Command;

  constructor(name: string, args: ProdBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:bootstrap:ProdBootstrap", name, {}, opts);
    this.run = new command.local.Command(
      `${name}-run`,
      {
        create: args.plan.command,
        environment: { ...args.plan.environment },
        triggers: [...args.plan.triggers],
        logging: "stdoutAndStderr",
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: [...args.after], customTimeouts: { create: args.plan.createTimeout } },
    );
    this.registerOutputs({});
  }
}
