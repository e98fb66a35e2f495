/**
 * The zones of every catalogued region (topology/regions.ts), as Google
 * publishes them in "Regions and zones" (Compute Engine documentation,
 * https://cloud.google.com/compute/docs/regions-zones), read on
 * {@link ZONES_READ_ON}. A zone a stack names must be one of these: zone
 * names are not a pattern (europe-west1 has b, c and d but no a; us-central1
 * has a, b, c and f), so a prefix check lets typos such as `us-east1-a` through.
 *
 * When Google opens a zone, add it here with the date read; a zone is never
 * removed while a committed stack names it. No Pulumi import.
 */

/** The day Google's public list was read for this catalog. */
export const ZONES_READ_ON = "2026-11-29";

/** Where the catalog comes from. */
export const ZONES_SOURCE = "https://cloud.google.com/compute/docs/regions-zones";

const abc = (region: string): readonly string[] => ["a", "b", "c"].map((z) => `${region}-${z}`);

/** The zones of each catalogued region. */
export const ZONE_CATALOG: Readonly<Record<string, readonly string[]>> = {
  "africa-south1": abc("africa-south1"),
  "asia-east1": abc("asia-east1"),
  "asia-east2": abc("asia-east2"),
  "asia-northeast1": abc("asia-northeast1"),
  "asia-northeast2": abc("asia-northeast2"),
  "asia-northeast3": abc("asia-northeast3"),
  "asia-south1": abc("asia-south1"),
  "asia-south2": abc("asia-south2"),
  "asia-southeast1": abc("asia-southeast1"),
  "asia-southeast2": abc("asia-southeast2"),
  "australia-southeast1": abc("australia-southeast1"),
  "australia-southeast2": abc("australia-southeast2"),
  "europe-central2": abc("europe-central2"),
  "europe-north1": abc("europe-north1"),
  "europe-north2": abc("europe-north2"),
  "europe-southwest1": abc("europe-southwest1"),
  "europe-west1": ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
  "europe-west2": abc("europe-west2"),
  "europe-west3": abc("europe-west3"),
  "europe-west4": abc("europe-west4"),
  "europe-west6": abc("europe-west6"),
  "europe-west8": abc("europe-west8"),
  "europe-west9": abc("europe-west9"),
  "europe-west10": abc("europe-west10"),
  "europe-west12": abc("europe-west12"),
  "me-central1": abc("me-central1"),
  "me-central2": abc("me-central2"),
  "me-west1": abc("me-west1"),
  "northamerica-northeast1": abc("northamerica-northeast1"),
  "northamerica-northeast2": abc("northamerica-northeast2"),
  "northamerica-south1": abc("northamerica-south1"),
  "southamerica-east1": abc("southamerica-east1"),
  "southamerica-west1": abc("southamerica-west1"),
  "us-central1": ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
  "us-east1": ["us-east1-b", "us-east1-c", "us-east1-d"],
  "us-east4": abc("us-east4"),
  "us-east5": abc("us-east5"),
  "us-south1": abc("us-south1"),
  "us-west1": abc("us-west1"),
  "us-west2": abc("us-west2"),
  "us-west3": abc("us-west3"),
  "us-west4": abc("us-west4"),
};

/** The zones of `region`, or undefined when the region is not catalogued. */
export function zonesOf(region: string): readonly string[] | undefined {
  return Object.prototype.hasOwnProperty.call(ZONE_CATALOG, region) ? ZONE_CATALOG[region] : undefined;
}
