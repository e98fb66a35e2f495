import { launchArtifact } from "./launcher";

// The lean entry of the artifact launcher (no CLI command discovery), prod0's instance command:
// `node --require tsx/cjs bootstrap/artifact/bin.ts --image <image> --version <v> --runtime docker -- <instance args…>`.
const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
const own = sep === -1 ? argv : argv.slice(0, sep);
const instanceArgs = sep === -1 ? [] : argv.slice(sep + 1);
const value = (flag: string) => {
  const i = own.indexOf(flag);
  return i === -1 ? undefined : own[i + 1];
};
const image = value("--image");
const version = value("--version");
const runtime = value("--runtime") ?? "docker";
if (!image || !version || runtime !== "docker" || sep === -1) {
  process.stderr.write(`bootstrap/artifact/bin.ts: expected --image <image> --version <version> [--runtime docker] -- <instance args>, got ${JSON.stringify(argv.join(" "))}.\n`);
  process.exit(2);
}
launchArtifact({ image, version, runtime }, instanceArgs).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
