/**
 * Stack references that work on every Pulumi backend. `spive:below.stack`
 * may name just the stack (`prod1`), the project and stack
 * (`spive-infra/prod1`), or a fully qualified `org/project/stack`. What it
 * leaves out comes from the running stack: `pulumi.getOrganization()` (on a
 * self-managed backend such as a GCS bucket it is `organization`; on Pulumi
 * Cloud the account or organization) and `pulumi.getProject()`. No Pulumi
 * import: the program passes the running stack's values in.
 */

/** The running stack's organization and project, which fill what a reference leaves out. */
export interface StackContext {
  /** `pulumi.getOrganization()`. */
  readonly organization: string;
  /** `pulumi.getProject()`. */
  readonly project: string;
}

/** The fully qualified `org/project/stack` name of `ref` as seen from the running stack. */
export function qualifyStackName(ref: string, ctx: StackContext): string {
  const parts = ref.split("/");
  if (parts.length === 3) return ref;
  if (parts.length === 2) return `${ctx.organization}/${ref}`;
  return `${ctx.organization}/${ctx.project}/${ref}`;
}

/** The bare stack name of a reference in any of its forms (`prod1` for `spive/spive-infra/prod1`). */
export function stackNameOf(ref: string): string {
  return ref.split("/").pop()!;
}
