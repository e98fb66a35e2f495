import { execFile } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { OAuth2Client } from "google-auth-library";
import { z } from "zod";

/**
 * Authentication of the management APIs (runner API, event store API): every
 * call that changes state carries `Authorization: Bearer <credential>`
 * (RFC 6750). Read-only calls (`GET`) need none, so autohealing health checks
 * and `spive status` keep working. Two kinds of credential:
 *
 * - prod: a Google-signed ID token of the deployer's service account. The
 *   runner verifies the signature against Google's public keys, the issuer,
 *   the expiry, the audience (the stack output `runnerApi.audience`) and that
 *   the `email` claim is an allowed identity (`runnerApi.allowedIdentities`).
 *   The deployment container obtains it with
 *   `gcloud auth print-identity-token --impersonate-service-account=<SA> --audiences=<aud> --include-email`.
 * - doubles: a per-installation random token, generated when the doubles
 *   start and stored with mode 0600 in the state folder (`<dir>/api-token`).
 *
 * No credential or an unverifiable one answers 401 (with `WWW-Authenticate`);
 * a valid credential of an identity that is not allowed answers 403. The
 * threat model is in docs/contracts.md.
 */

/** The file a local installation keeps its API token in (mode 0600). */
export const API_TOKEN_FILE = "api-token";

/** The issuers of Google ID tokens ("Authenticate with a backend server", Google Identity). */
export const GOOGLE_ISSUERS: readonly string[] = ["accounts.google.com", "https://accounts.google.com"];

/** A service account email, e.g. `spive-prod0-deployer@spive-prod0.iam.gserviceaccount.com`. */
export const ServiceAccountEmail = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,29}@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, "a service account email such as spive-prod0-deployer@spive-prod0.iam.gserviceaccount.com");

/** How a caller of a binding obtains its credential (part of the binding; never the secret itself). */
export const BindingAuth = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("token-file"),
      file: z.string().min(1).describe("Absolute path of the installation's token file (mode 0600)."),
    }),
    z.strictObject({
      kind: z.literal("google-id-token"),
      audience: z.string().min(1).describe("The audience the runner hosts verify (stack output runnerApi.audience)."),
      serviceAccount: ServiceAccountEmail.describe("The deployer service account whose ID token is presented."),
    }),
  ])
  .describe("How the bootstrap authenticates to the runner and event store APIs.");

/** How a caller obtains its credential. */
export type BindingAuth = z.infer<typeof BindingAuth>;

/** The verdict on one request's credential. */
export type AuthDecision = { readonly ok: true; readonly principal: string } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/** Decides on the `Authorization` header of a state-changing call. */
export type Authenticator = (authorization: string | undefined) => Promise<AuthDecision>;

/** Yields the bearer credential to send (fetched or cached). */
export type CredentialSource = () => Promise<string>;

/** The bearer token of an `Authorization` header, or undefined when there is none or it is not `Bearer <token>`. */
export function bearerOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? "");
  return m ? m[1] : undefined;
}

const MISSING = "This call changes state and needs a credential: expected an Authorization: Bearer <token> header (docs/contracts.md, Authentication).";

/**
 * The doubles' authenticator: the installation token, compared in constant
 * time. Any other token is not a credential of this installation (401).
 */
export function tokenAuthenticator(token: string, principal = "local installation"): Authenticator {
  const expected = Buffer.from(token, "utf8");
  return async (authorization) => {
    const given = bearerOf(authorization);
    if (given === undefined) return { ok: false, status: 401, reason: MISSING };
    const g = Buffer.from(given, "utf8");
    if (g.length !== expected.length || !timingSafeEqual(g, expected)) {
      return { ok: false, status: 401, reason: "The bearer token is not this installation's API token; expected the token in the installation's state folder (api-token, mode 0600)." };
    }
    return { ok: true, principal };
  };
}

/** Options of the Google ID token authenticator. */
export interface GoogleIdTokenOptions {
  /** The audience the tokens must be issued for. */
  readonly audience: string;
  /** The service account emails allowed to change state. */
  readonly allowedIdentities: readonly string[];
  /**
   * Google's public keys by key id (PEM). Default: fetched from Google and
   * cached by google-auth-library. Tests pass a local key.
   */
  readonly keys?: () => Promise<Record<string, string>>;
}

/**
 * The production authenticator: a Google-signed ID token (signature,
 * issuer, expiry and audience verified by google-auth-library), whose
 * verified `email` must be an allowed identity. An unverifiable token is 401;
 * a verified token of another identity is 403. Never echoes the token.
 */
export function googleIdTokenAuthenticator(opts: GoogleIdTokenOptions): Authenticator {
  if (opts.allowedIdentities.length === 0) throw new Error("googleIdTokenAuthenticator: expected at least one allowed identity, got none; an API nobody may call is a misconfiguration.");
  const client = new OAuth2Client();
  const keys = opts.keys ?? (async () => (await client.getFederatedSignonCertsAsync()).certs as Record<string, string>);
  const allowed = new Set(opts.allowedIdentities);
  return async (authorization) => {
    const token = bearerOf(authorization);
    if (token === undefined) return { ok: false, status: 401, reason: MISSING };
    let payload: { email?: string; email_verified?: boolean } | undefined;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(token, await keys(), opts.audience, [...GOOGLE_ISSUERS]);
      payload = ticket.getPayload();
    } catch (err) {
      return { ok: false, status: 401, reason: `The bearer token is not a valid Google ID token for audience ${opts.audience}: ${whyInvalid((err as Error).message)}.` };
    }
    const email = payload?.email;
    if (!email || payload?.email_verified !== true) {
      return { ok: false, status: 401, reason: "The Google ID token carries no verified email; expected a service account's token minted with --include-email (includeEmail: true)." };
    }
    if (!allowed.has(email)) {
      return { ok: false, status: 403, reason: `Identity ${email} may not change this API's state; expected one of ${[...allowed].join(", ")} (stack output runnerApi.allowedIdentities).` };
    }
    return { ok: true, principal: email };
  };
}

/** google-auth-library's reasons, without the token they quote. */
function whyInvalid(message: string): string {
  if (message.startsWith("Wrong recipient")) return "it was issued for another audience";
  if (message.startsWith("Token used too late")) return "it has expired";
  if (message.startsWith("Token used too early")) return "it is not valid yet";
  if (message.startsWith("Invalid issuer")) return "it was not issued by Google (accounts.google.com)";
  if (message.startsWith("Invalid token signature")) return "its signature does not verify against Google's public keys";
  if (message.startsWith("No pem found")) return "it is signed by a key Google does not publish";
  return "it is not a well-formed signed JWT";
}

/**
 * Creates a fresh installation token in `dir/api-token` with mode 0600
 * (replacing any earlier one, so every start rotates it) and returns it.
 */
export function writeInstallationToken(dir: string): { file: string; token: string } {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, API_TOKEN_FILE);
  const token = randomBytes(32).toString("base64url");
  const tmp = `${file}.${process.pid}.tmp`;
  // Created 0600 from the start (never briefly readable by others), then renamed into place.
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, file);
  return { file, token };
}

/**
 * Reads a token file, refusing one that others may read (mode other than
 * 0600 or owned by another user): a token anyone can read protects nothing.
 */
export function readTokenFile(file: string): string {
  let st: fs.Stats;
  let text: string;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: expected the installation's API token file, got ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; start the doubles again (npm start).`);
  }
  if ((st.mode & 0o077) !== 0) throw new Error(`${file}: expected mode 0600 (the API token is a secret), got ${(st.mode & 0o777).toString(8).padStart(4, "0")}; run chmod 600 ${file} or start the doubles again.`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) throw new Error(`${file}: expected a token file owned by this user (uid ${process.getuid()}), got one owned by uid ${st.uid}.`);
  const token = text.trim();
  if (!/^[A-Za-z0-9_-]{32,}$/.test(token)) throw new Error(`${file}: expected one API token (at least 32 base64url characters), got something else.`);
  return token;
}

/** How long a fetched ID token is reused: Google ID tokens live one hour. */
export const ID_TOKEN_REUSE_MS = 45 * 60 * 1000;

/**
 * The credential source of a binding: the token file's token, or a Google ID
 * token of the deployer's service account from `gcloud` (the words of
 * `$SPIVE_GCLOUD`, default `gcloud`), reused for 45 minutes. Undefined when
 * the binding names no authentication.
 */
export function credentialFor(auth: BindingAuth | undefined, env: NodeJS.ProcessEnv = process.env): CredentialSource | undefined {
  if (!auth) return undefined;
  if (auth.kind === "token-file") {
    const file = auth.file;
    return async () => readTokenFile(file);
  }
  const gcloud = (env.SPIVE_GCLOUD ?? "gcloud").split(/\s+/).filter(Boolean);
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < ID_TOKEN_REUSE_MS) return cached.token;
    const args = [...gcloud.slice(1), "auth", "print-identity-token", `--impersonate-service-account=${auth.serviceAccount}`, `--audiences=${auth.audience}`, "--include-email"];
    const token = await new Promise<string>((resolve, reject) => {
      execFile(gcloud[0]!, args, { timeout: 30_000, env }, (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`Cannot obtain a Google ID token for ${auth.serviceAccount} (audience ${auth.audience}) with ${gcloud[0]} auth print-identity-token: ${String(stderr).trim().split("\n").pop() || err.message}; the deployer needs iam.serviceAccounts.getOpenIdToken on that service account.`));
          return;
        }
        resolve(String(stdout).trim());
      });
    });
    if (bearerOf(`Bearer ${token}`) === undefined) throw new Error(`${gcloud[0]} auth print-identity-token printed something that is not a token; expected one JWT on stdout.`);
    cached = { token, at: Date.now() };
    return token;
  };
}
