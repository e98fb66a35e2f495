#!/usr/bin/env node
// The executable the engine starts for a stand-in plugin (`pulumi-resource-<pkg>`):
// `node shim.js <pkg> <version> <main.ts> <tsx/cjs> [engine args…]`.
//
// The engine starts one plugin process per provider *instance*, and prod1 has
// one Kubernetes provider per region (42): loading the SDK in each of them cost
// minutes of CPU. So the stand-in of each package runs once per workspace, as
// a daemon (standins/main.ts in daemon mode), and this shim only makes sure it
// runs, prints its port (the one line on stdout every plugin prints), and stays
// alive until the engine stops it, as a plugin process must. Plain JavaScript,
// no dependencies: it starts in a few milliseconds.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const [pkg, version, mainTs, tsxCjs] = process.argv.slice(2);
const stateDir = process.env.SPIVE_STANDIN_STATE;
function fail(msg) {
  process.stderr.write(`spive stand-in ${pkg}: ${msg}\n`);
  process.exit(1);
}
if (!pkg || !version || !mainTs || !tsxCjs) fail("usage: shim.js <pkg> <version> <main.ts> <tsx/cjs> [engine args]");
if (!stateDir) fail("SPIVE_STANDIN_STATE: expected the stand-in cloud's state folder (set by spive rehearse), got nothing.");
const dir = path.join(stateDir, "daemons");
fs.mkdirSync(dir, { recursive: true });
const base = path.join(dir, `${pkg}-${version}`);
const portFile = `${base}.port`;
const lockFile = `${base}.lock`;

function probe(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

function readPort() {
  try {
    const n = Number(fs.readFileSync(portFile, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function startDaemon() {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(`${base}.log`, "a");
    const child = spawn(process.execPath, ["--require", tsxCjs, mainTs, pkg, version, ...process.argv.slice(6)], {
      detached: true,
      stdio: ["ignore", "pipe", log],
      env: { ...process.env, SPIVE_STANDIN_DAEMON: "1" },
    });
    fs.closeSync(log);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the ${pkg} stand-in daemon did not report its port within 120 s (see ${base}.log)`)), 120_000);
    child.once("exit", (code) => reject(new Error(`the ${pkg} stand-in daemon exited (${code}) before reporting its port (see ${base}.log)`)));
    child.stdout.on("data", (c) => {
      out += c.toString("utf8");
      const line = out.split("\n").find((l) => /^\d+$/.test(l.trim()));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout.destroy();
      child.unref();
      fs.writeFileSync(`${base}.pid`, String(child.pid));
      fs.writeFileSync(`${portFile}.tmp`, line.trim());
      fs.renameSync(`${portFile}.tmp`, portFile);
      resolve(Number(line.trim()));
    });
  });
}

async function daemonPort() {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const known = readPort();
    if (known !== undefined && (await probe(known))) return known;
    let lock;
    try {
      lock = fs.openSync(lockFile, "wx");
    } catch {
      // Another shim is starting the daemon (or died doing so: a lock older than 3 min is stale).
      try {
        if (Date.now() - fs.statSync(lockFile).mtimeMs > 180_000) fs.rmSync(lockFile, { force: true });
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    try {
      const again = readPort();
      if (again !== undefined && (await probe(again))) return again;
      fs.rmSync(portFile, { force: true });
      return await startDaemon();
    } finally {
      fs.closeSync(lock);
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`no ${pkg} stand-in daemon within 150 s (see ${base}.log)`);
}

daemonPort()
  .then((port) => {
    process.stdout.write(`${port}\n`);
    // Stay alive as the plugin process until the engine stops it.
    setInterval(() => undefined, 1 << 30);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => process.exit(0));
  })
  .catch((err) => fail(err.message));
