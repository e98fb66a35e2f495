import { Command } from "commander";
import { addServeCommands } from "../serve";

// The lean process entry of the local doubles (no CLI command discovery): `node --require tsx/cjs doubles/bin/serve.ts <double> …`.
const program = new Command("serve").description("Run one local double of prod-0.");
addServeCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`doubles: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
