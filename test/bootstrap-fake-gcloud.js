#!/usr/bin/env node
// A stand-in for `gcloud compute start-iap-tunnel <host> <port> --local-host-port=127.0.0.1:<p> --zone=… --project=…`
// in the bootstrap tests: it forwards the loopback port to the runner double
// named in FAKE_IAP_TARGETS (JSON: host name → "127.0.0.1:<port>"), prints
// gcloud's "Listening on port [p]." line, records its pid and arguments in
// FAKE_IAP_LOG, fails like gcloud for the hosts listed in FAKE_IAP_FAIL, and
// never opens (waits forever, as gcloud does on a stuck connection) for the
// hosts listed in FAKE_IAP_HANG.
const fs = require("node:fs");
const net = require("node:net");

const args = process.argv.slice(2);
const name = args[2];
const local = (args.find((a) => a.startsWith("--local-host-port=")) || "").split("=")[1] || "";
const [host, port] = local.split(":");
if (process.env.FAKE_IAP_LOG) fs.appendFileSync(process.env.FAKE_IAP_LOG, `${JSON.stringify({ pid: process.pid, args })}\n`);
if ((process.env.FAKE_IAP_FAIL || "").split(",").includes(name)) {
  process.stderr.write("ERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].\n");
  // As gcloud does, a hint follows the cause: the cause is the line to report.
  process.stderr.write("Check that you have the IAP-secured Tunnel User role.\n");
  process.exit(1);
}
if ((process.env.FAKE_IAP_HANG || "").split(",").includes(name)) {
  process.stderr.write("Testing if tunnel connection works.\n");
  setInterval(() => undefined, 60_000);
  return;
}
const target = JSON.parse(process.env.FAKE_IAP_TARGETS || "{}")[name];
if (!target) {
  process.stderr.write(`ERROR: (gcloud.compute.start-iap-tunnel) Could not fetch resource: instance ${name} not found.\n`);
  process.exit(1);
}
const [thost, tport] = target.split(":");
const server = net.createServer((sock) => {
  const up = net.connect(Number(tport), thost);
  sock.pipe(up);
  up.pipe(sock);
  const end = () => {
    sock.destroy();
    up.destroy();
  };
  sock.on("error", end);
  up.on("error", end);
});
server.listen(Number(port), host, () => process.stderr.write(`Testing if tunnel connection works.\nListening on port [${port}].\n`));
process.on("SIGTERM", () => process.exit(0));
