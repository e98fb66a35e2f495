/**
 * The permanent catalog of GCP regions a Spive layer may run in. A region's
 * position here is its address block: region i gets the i-th /14 of the
 * layer's block (`regionCidrs` in topology/cidr.ts), whatever layer lists it
 * and wherever in that layer's list. Adding or removing a region from a layer
 * therefore never renumbers another region's subnets.
 *
 * Append-only: add new GCP regions at the end; never reorder, remove or reuse
 * a position (a retired region keeps its slot). A /8 holds 64 blocks.
 * No Pulumi import.
 */
export const REGION_CATALOG: readonly string[] = [
  "africa-south1",
  "asia-east1",
  "asia-east2",
  "asia-northeast1",
  "asia-northeast2",
  "asia-northeast3",
  "asia-south1",
  "asia-south2",
  "asia-southeast1",
  "asia-southeast2",
  "australia-southeast1",
  "australia-southeast2",
  "europe-central2",
  "europe-north1",
  "europe-north2",
  "europe-southwest1",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west4",
  "europe-west6",
  "europe-west8",
  "europe-west9",
  "europe-west10",
  "europe-west12",
  "me-central1",
  "me-central2",
  "me-west1",
  "northamerica-northeast1",
  "northamerica-northeast2",
  "northamerica-south1",
  "southamerica-east1",
  "southamerica-west1",
  "us-central1",
  "us-east1",
  "us-east4",
  "us-east5",
  "us-south1",
  "us-west1",
  "us-west2",
  "us-west3",
  "us-west4",
];

const POSITION = new Map(REGION_CATALOG.map((r, i) => [r, i]));

/** The address block index of `region`, or undefined when it is not in the catalog. */
export function regionBlock(region: string): number | undefined {
  return POSITION.get(region);
}
