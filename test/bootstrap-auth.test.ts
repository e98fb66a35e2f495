import { generateKeyPairSync, sign } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { API_TOKEN_FILE, credentialFor, googleIdTokenAuthenticator, readTokenFile, tokenAuthenticator, writeInstallationToken, type Authenticator } from "../bootstrap/contracts/auth";
import { httpRunnerClient } from "../bootstrap/contracts/clients";
import { prod0Binding } from "../bootstrap/driver/target";
import { loadStackConfig } from "../config/load";
import { devDown, devUp } from "../doubles/dev";
import { evaluateStack, offlineLayerOutputs } from "../plan/stack";
import type { Prod0Outputs } from "../layers/contract";
import { EventStoreDouble } from "../doubles/event-store";
import { RunnerHostDouble } from "../doubles/runner-host";

/**
 * Issue 13, must-have 5: the runner and event store APIs refuse every
 * state-changing call without a credential (401) or from an identity that is
 * not allowed (403); reads stay open. The doubles use a per-installation
 * token (mode 0600); prod verifies Google-signed ID tokens, proved here with
 * a local signing key standing in for Google's.
 */

const ZONE = "europe-west1-b";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-auth-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One raw request with optional Authorization; resolves with status, headers and body text. */
function call(base: string, method: string, pathname: string, authorization?: string, body?: unknown): Promise<{ status: number; text: string; wwwAuthenticate: string | undefined }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (authorization) headers.authorization = authorization;
    if (payload) Object.assign(headers, { "content-type": "application/json", "content-length": payload.length });
    const req = http.request(new URL(pathname, base), { method, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, wwwAuthenticate: res.headers["www-authenticate"] }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error("test: no answer within 30 s")));
    req.on("error", reject);
    req.end(payload);
  });
}

async function withRunner<T>(auth: Authenticator, fn: (url: string, runner: RunnerHostDouble) => Promise<T>): Promise<T> {
  const runner = new RunnerHostDouble({ name: "auth-runner", zones: [ZONE], stopGraceMs: 500, auth });
  const url = await runner.start();
  try {
    return await fn(url, runner);
  } finally {
    await runner.close();
  }
}

describe("the doubles' installation token", () => {
  const token = writeInstallationToken(path.join(tmp, "install"));
  const auth = tokenAuthenticator(token.token);
  const spec = { process: "SpiveProd0", zone: ZONE, args: [] };

  it("is stored with mode 0600 and a token file others can read is refused", () => {
    expect(path.basename(token.file)).toBe(API_TOKEN_FILE);
    expect(fs.statSync(token.file).mode & 0o777).toBe(0o600);
    expect(readTokenFile(token.file)).toBe(token.token);
    const loose = path.join(tmp, "loose-token");
    fs.writeFileSync(loose, `${token.token}\n`, { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    expect(() => readTokenFile(loose)).toThrow(`${loose}: expected mode 0600 (the API token is a secret), got 0644; run chmod 600 ${loose} or start the doubles again.`);
  });

  it("an unauthenticated wipe gets 401 and wipes nothing; a wrong token gets 401; reads need none", async () => {
    await withRunner(auth, async (url, runner) => {
      await httpRunnerClient(url, credentialFor({ kind: "token-file", file: token.file })).start("kept-0", spec);
      const none = await call(url, "DELETE", "/v1/instances");
      expect(none.status).toBe(401);
      expect(none.wwwAuthenticate).toBe('Bearer realm="spive-runner"');
      expect(JSON.parse(none.text).error).toBe("This call changes state and needs a credential: expected an Authorization: Bearer <token> header (docs/contracts.md, Authentication).");
      const wrong = await call(url, "DELETE", "/v1/instances", `Bearer ${"x".repeat(43)}`);
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain("is not this installation's API token");
      expect((await call(url, "PUT", "/v1/instances/sneaky-0", undefined, spec)).status).toBe(401);
      expect((await call(url, "DELETE", "/v1/instances/kept-0", "Basic Zm9vOmJhcg==")).status).toBe(401);
      // Nothing changed: the instance still runs, the sneaky one was never started; reads are open.
      const list = await call(url, "GET", "/v1/instances");
      expect(list.status).toBe(200);
      expect((JSON.parse(list.text) as { instances: { id: string; state: string }[] }).instances.map((i) => [i.id, i.state])).toEqual([["kept-0", "running"]]);
      expect(runner.livePids()).toHaveLength(1);
      const ok = await call(url, "DELETE", "/v1/instances", `Bearer ${token.token}`);
      expect(ok.status).toBe(200);
    });
  }, 60_000);

  it("the event store refuses an unauthenticated CreateStream with 401", async () => {
    const store = new EventStoreDouble(path.join(tmp, "store"), auth);
    const url = await store.start();
    try {
      const res = await call(url, "PUT", `/v1/streams/${encodeURIComponent("gid:prod0/spive")}`, undefined, { store: "LocalEventStoreGateway", durable: true });
      expect(res.status).toBe(401);
      expect(res.wwwAuthenticate).toBe('Bearer realm="spive-event-store"');
      expect(JSON.parse((await call(url, "GET", "/v1/streams")).text)).toEqual({ streams: [] });
    } finally {
      await store.close();
    }
  }, 60_000);

  it("dev-0's doubles are started with a fresh 0600 token and refuse an unauthenticated wipe", async () => {
    const root = path.join(tmp, "state");
    const { state } = await devUp("dev-0", { root, zones: ["europe-west1-b", "europe-west1-c"] });
    try {
      expect(state.binding.auth).toEqual({ kind: "token-file", file: path.join(root, "dev-0", API_TOKEN_FILE) });
      expect(fs.statSync(path.join(root, "dev-0", API_TOKEN_FILE)).mode & 0o777).toBe(0o600);
      const url = state.binding.runnerHosts[0]!.url;
      expect((await call(url, "DELETE", "/v1/instances")).status).toBe(401);
      const store = state.binding.eventStore.kind === "local" ? state.binding.eventStore.url : "";
      expect((await call(store, "PUT", `/v1/streams/${encodeURIComponent("gid:prod0/x")}`, undefined, { store: "S", durable: true })).status).toBe(401);
      const wipe = await httpRunnerClient(url, credentialFor(state.binding.auth)).wipe();
      expect(wipe.remaining).toBe(0);
    } finally {
      await devDown("dev-0", root);
    }
  }, 120_000);
});

describe("Google ID tokens (prod)", () => {
  const AUDIENCE = "https://runner-api.spive-prod0.spive.internal";
  const DEPLOYER = "spive-prod0-deployer@spive-prod0.iam.gserviceaccount.com";
  const google = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keys = async () => ({ "google-key-1": google.publicKey.export({ type: "spki", format: "pem" }).toString() });
  const auth = googleIdTokenAuthenticator({ audience: AUDIENCE, allowedIdentities: [DEPLOYER], keys });

  /** A JWT as Google's IAM Credentials generateIdToken mints it (RS256, kid, iss, aud, email, email_verified). */
  function idToken(claims: Record<string, unknown>, key = google.privateKey, kid = "google-key-1"): string {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const body = `${b64({ alg: "RS256", kid, typ: "JWT" })}.${b64({ iss: "https://accounts.google.com", aud: AUDIENCE, email: DEPLOYER, email_verified: true, sub: "1234567890", iat: now, exp: now + 3600, ...claims })}`;
    return `${body}.${sign("RSA-SHA256", Buffer.from(body), key).toString("base64url")}`;
  }

  it.each([
    ["the deployer's token", {}, undefined, 200, ""],
    ["another service account's token", { email: "someone-else@spive-prod0.iam.gserviceaccount.com" }, undefined, 403, "Identity someone-else@spive-prod0.iam.gserviceaccount.com may not change this API's state; expected one of " + DEPLOYER],
    ["a token for another audience", { aud: "https://elsewhere.example.com" }, undefined, 401, "it was issued for another audience"],
    ["an expired token", { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }, undefined, 401, "it has expired"],
    ["a token not issued by Google", { iss: "https://evil.example.com" }, undefined, 401, "it was not issued by Google"],
    ["a token without a verified email", { email_verified: false }, undefined, 401, "carries no verified email"],
    ["a token signed by another key", {}, "other", 401, "its signature does not verify"],
  ] as const)("%s: %d", async (_what, claims, signer, status, reason) => {
    const token = signer === "other" ? idToken(claims, other.privateKey) : idToken(claims);
    await withRunner(auth, async (url) => {
      const res = await call(url, "DELETE", "/v1/instances", `Bearer ${token}`);
      expect(res.status).toBe(status);
      if (reason) expect(JSON.parse(res.text).error).toContain(reason);
      // Never a secret: the answer does not quote the token.
      expect(res.text).not.toContain(token.split(".")[2]!);
    });
  }, 60_000);

  it("refuses to be configured with nobody allowed", () => {
    expect(() => googleIdTokenAuthenticator({ audience: AUDIENCE, allowedIdentities: [] })).toThrow(/expected at least one allowed identity/);
  });

  it("the deployment side mints the token with gcloud for the configured service account and audience", async () => {
    const fake = path.join(tmp, "fake-gcloud.sh");
    const argsFile = path.join(tmp, "gcloud-args");
    fs.writeFileSync(fake, `#!/bin/sh\necho "$@" > ${argsFile}\necho ${idToken({})}\n`, { mode: 0o755 });
    const source = credentialFor({ kind: "google-id-token", audience: AUDIENCE, serviceAccount: DEPLOYER }, { ...process.env, SPIVE_GCLOUD: fake })!;
    const token = await source();
    expect(fs.readFileSync(argsFile, "utf8").trim()).toBe(`auth print-identity-token --impersonate-service-account=${DEPLOYER} --audiences=${AUDIENCE} --include-email`);
    expect(await auth(`Bearer ${token}`)).toEqual({ ok: true, principal: DEPLOYER });
  }, 60_000);
});

describe("prod0 wiring", () => {
  it("the stack passes the audience and allowed identities to every runner host, exports them, and binds the bootstrap to the deployer's ID token", async () => {
    const cfg = loadStackConfig("prod0");
    const api = cfg["spive:runnerApi"]!;
    expect(api.allowedIdentities[0]).toBe("spive-prod0-deployer@spive-prod0.iam.gserviceaccount.com");
    const outputs = offlineLayerOutputs(cfg) as Prod0Outputs;
    expect(prod0Binding(outputs).auth).toEqual({ kind: "google-id-token", audience: api.audience, serviceAccount: api.allowedIdentities[0] });
    const ev = await evaluateStack("prod0", { preview: true });
    const template = ev.resources.find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate")!;
    const userData = (template.inputs.metadata as Record<string, string>)["user-data"]!;
    expect(userData).toContain(`--auth-audience ${api.audience} --allowed-identities ${api.allowedIdentities.join(",")}`);
  }, 120_000);
});
