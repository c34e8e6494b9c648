import type { Command } from "../command.ts";
import { CONFIG_FLAG, stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { startHub } from "../../hub_main.ts";

/** `edge-runtime hub`: the reference hub (cloud side). */
export const hubCommand: Command = {
  name: "hub",
  summary:
    "run the reference hub: CA, join tokens, enrollment, message routing",
  usage: "edge-runtime hub --config FILE [--state-dir DIR]",
  description: `
Loads and validates the hub configuration (see config/hub.example.yaml),
opens the hub state directory (created 0700 if missing; refused when it is
group/world-writable or owned by another user) and takes its lock.`,
  flags: { config: CONFIG_FLAG },
  async run(args, io) {
    const path = stringFlag(args, "config");
    if (!path) throw new EdgeError("USAGE", "missing --config FILE");
    return await startHub({
      configPath: path,
      stateDirOverride: stringFlag(args, "state-dir"),
      io,
    });
  },
};
