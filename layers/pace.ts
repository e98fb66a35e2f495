/**
 * Lets the Pulumi runtime finish serialising and sending the registrations
 * declared so far before the program declares more.
 *
 * The Node.js SDK serialises every input leaf of every resource through its own
 * promise, and all registrations declared in one synchronous run progress
 * interleaved: nothing finishes until everything has started. For a layer with
 * 42 regions that keeps every resource's intermediate copies alive at once
 * (hundreds of MB), and the garbage collector's cost grows with that live set,
 * so evaluation time grew faster than the region count. Declaring region by
 * region and yielding in between bounds the live set to one region.
 *
 * It changes neither what is declared nor in which order; under the real
 * engine it only lets queued RPCs go out earlier.
 */
export function yieldToEngine(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
