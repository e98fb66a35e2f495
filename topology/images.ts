/**
 * Pure parsing of container image references: which Artifact Registry
 * repository an image lives in, so a layer can grant its node or host identity
 * read access on exactly that repository. No Pulumi import.
 */

/** An Artifact Registry Docker repository. */
export interface ArtifactRepository {
  /** The registry host, e.g. `europe-docker.pkg.dev`. */
  readonly host: string;
  /** The repository's location, e.g. `europe` or `us-central1`. */
  readonly location: string;
  /** The project holding the repository, e.g. `spive-artifacts`. */
  readonly project: string;
  /** The repository id, e.g. `spive`. */
  readonly repository: string;
}

const ARTIFACT_REGISTRY = /^(?<location>[a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev\/(?<project>[a-z][a-z0-9-]{4,28}[a-z0-9])\/(?<repository>[a-z0-9][a-z0-9._-]*)\/[^:@]+(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/;

/**
 * The Artifact Registry repository of `image` (with or without tag or digest),
 * or undefined when the image is hosted elsewhere (then pull access is not
 * this program's to grant).
 */
export function artifactRepositoryOf(image: string): ArtifactRepository | undefined {
  const m = ARTIFACT_REGISTRY.exec(image);
  if (!m?.groups) return undefined;
  const { location, project, repository } = m.groups as { location: string; project: string; repository: string };
  return { host: `${location}-docker.pkg.dev`, location, project, repository };
}

/** The distinct Artifact Registry repositories the `images` come from, in first-seen order. */
export function artifactRepositories(images: readonly string[]): ArtifactRepository[] {
  const seen = new Map<string, ArtifactRepository>();
  for (const image of images) {
    const repo = artifactRepositoryOf(image);
    const key = repo && `${repo.location}/${repo.project}/${repo.repository}`;
    if (repo && key && !seen.has(key)) seen.set(key, repo);
  }
  return [...seen.values()];
}

/** An image reference without its tag or digest (`host/path/name`). */
export function imageName(image: string): string {
  const at = image.indexOf("@");
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The Binary Authorization allow-list patterns that admit `images` and
 * nothing else of their registries: each Artifact Registry repository as a
 * whole (`host/project/repository/**`, the trailing `**` matching every image
 * below it), and any other image by its exact name.
 */
export function admissionPatterns(images: readonly string[]): string[] {
  const patterns = artifactRepositories(images).map((r) => `${r.host}/${r.project}/${r.repository}/**`);
  for (const image of images) {
    if (!artifactRepositoryOf(image)) patterns.push(imageName(image));
  }
  return [...new Set(patterns)];
}
