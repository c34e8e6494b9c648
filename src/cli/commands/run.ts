import type { Command } from "../command.ts";
import { CONFIG_FLAG, stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";

/** `edge-runtime [run]`: the device runtime. */
export const runCommand: Command = {
  name: "run",
  summary: "run the device runtime (node identity, Workload API, hub link)",
  usage:
    "edge-runtime run --config FILE [--state-dir DIR]\nedge-runtime --config FILE",
  description: `
Loads and validates the edge configuration (see config/edge.example.yaml),
opens the state directory (created 0700 if missing; refused when it is
group/world-writable or owned by another user), takes its lock so no second
runtime shares it, and runs until SIGINT/SIGTERM.

Logs go to stderr: readable lines on a terminal, JSON lines otherwise
(log.format in the config). Private keys, tokens and passwords are never
logged.`,
  flags: { config: CONFIG_FLAG },
  async run(args, io) {
    const path = stringFlag(args, "config");
    if (!path) throw new EdgeError("USAGE", "missing --config FILE");
    const { startRuntime } = await import("../../runtime.ts");
    return await startRuntime({
      configPath: path,
      stateDirOverride: stringFlag(args, "state-dir"),
      io,
    });
  },
};
