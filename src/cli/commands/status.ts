import type { Command } from "../command.ts";
import { CONFIG_FLAG } from "../command.ts";
import { notYetAvailable } from "./pending.ts";

/** `edge-runtime status`: what a running runtime reports. */
export const statusCommand: Command = {
  name: "status",
  summary:
    "show identity, renewal, Workload API and hub link state of a runtime",
  usage: "edge-runtime status --config FILE",
  description: `
Asks the running runtime over its admin socket (admin.socketPath) and prints
its state.`,
  flags: { config: CONFIG_FLAG },
  run() {
    throw notYetAvailable('"status"', 8);
  },
};
