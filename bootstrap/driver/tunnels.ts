import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import type { Binding } from "../contracts/binding";
import { HostError } from "./errors";
import { diesWithParent } from "./parent-death";
import type { PhaseContext } from "./phase";

/**
 * How the deployment container reaches prod-0's runner hosts. They have no
 * external IP and the firewall admits the runner API port only from IAP's
 * TCP-forwarding range, so the driver opens one IAP tunnel per host
 * (`gcloud compute start-iap-tunnel <host> <port> --local-host-port=127.0.0.1:<p>`),
 * rewrites the binding to the loopback ends, and closes every tunnel when the
 * run ends. The SpiveProdBootstrap instance runs in the same container and
 * uses the same tunnels.
 */

/** Opened tunnels: the binding to use while they are open, and how to close them. */
export interface OpenTunnels {
  /** The binding with every runner host's URL replaced by its tunnel's loopback end. */
  readonly binding: Binding;
  /** Closes every tunnel (SIGTERM to each gcloud process group, then SIGKILL). */
  close(): Promise<void>;
}

/** Opens the tunnels of a binding; rejects with a HostError naming the host whose tunnel did not open. */
export type TunnelOpener = (binding: Binding, ctx: PhaseContext) => Promise<OpenTunnels>;

/** The line gcloud prints once a tunnel listens: `Listening on port [12345].` */
const LISTENING = /Listening on port \[(\d+)\]/;

/** A free loopback port (asked of the kernel, then released for gcloud to bind). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 3_000)))]).then(() => {
    clearTimeout(timer);
    kill("SIGKILL");
  });
}

/**
 * The line of gcloud's output that says why it failed: its first `ERROR:`
 * line (gcloud prints the cause there, and hints or retries after it), else
 * its last line, else "no output".
 */
export function gcloudReason(output: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  return lines.find((l) => l.startsWith("ERROR:")) ?? lines[lines.length - 1] ?? "no output";
}

/**
 * The IAP tunnel opener. `gcloud` is the command (default `gcloud`, or the
 * words of `$SPIVE_GCLOUD`); the binding must name the project.
 */
export function iapTunnels(gcloud: readonly string[] = (process.env.SPIVE_GCLOUD ?? "gcloud").split(/\s+/)): TunnelOpener {
  return async (binding, ctx) => {
    if (!binding.project) throw new Error("The binding names no project; IAP tunnels need the runner hosts' GCP project.");
    const children: ChildProcess[] = [];
    const close = async () => {
      await Promise.all(children.map(stopChild));
    };
    try {
      const settled = await Promise.allSettled(
        binding.runnerHosts.map(async (h) => {
          const remotePort = new URL(h.url).port || "80";
          const local = await freePort();
          const args = ["compute", "start-iap-tunnel", h.name, remotePort, `--local-host-port=127.0.0.1:${local}`, `--zone=${h.zones[0]}`, `--project=${binding.project}`];
          // Its own process group (closed as a whole), and killed by the kernel if this process dies.
          const [cmd, ...rest] = diesWithParent([...gcloud, ...args]);
          const child = spawn(cmd!, rest, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
          children.push(child);
          await new Promise<void>((resolve, reject) => {
            let out = "";
            let head = "";
            const onData = (c: Buffer) => {
              const text = c.toString("utf8");
              if (head.length < 16_000) head += text;
              out = (out + text).slice(-4000);
              if (LISTENING.test(out)) {
                cleanup();
                resolve();
              }
            };
            const lastLine = () => gcloudReason(head.length < 16_000 ? head : `${head}\n${out}`);
            const onExit = (code: number | null) => {
              cleanup();
              reject(new HostError(h.name, `could not open the IAP tunnel to port ${remotePort} (gcloud exited with code ${code}: ${lastLine()})`));
            };
            const onAbort = () => {
              cleanup();
              reject(new HostError(h.name, `the IAP tunnel to port ${remotePort} did not open in time (gcloud said: ${lastLine()})`));
            };
            const cleanup = () => {
              child.stdout!.off("data", onData);
              child.stderr!.off("data", onData);
              child.off("exit", onExit);
              ctx.signal.removeEventListener("abort", onAbort);
              // Keep draining gcloud's output so it never blocks on a full pipe.
              child.stdout!.resume();
              child.stderr!.resume();
            };
            child.stdout!.on("data", onData);
            child.stderr!.on("data", onData);
            child.once("exit", onExit);
            child.once("error", (err) => onExit(err ? 127 : null));
            ctx.signal.addEventListener("abort", onAbort, { once: true });
          });
          return { ...h, url: `http://127.0.0.1:${local}` };
        }),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      const hosts = settled.map((r) => (r as PromiseFulfilledResult<Binding["runnerHosts"][number]>).value);
      return { binding: { ...binding, runnerHosts: hosts }, close };
    } catch (err) {
      await close();
      throw err;
    }
  };
}
