import type { Command } from "../command.ts";
import { CONFIG_FLAG } from "../command.ts";

/** `edge-runtime status`: what a running runtime (or its state dir) reports. */
export const statusCommand: Command = {
  name: "status",
  summary:
    "show identity, renewal, Workload API and hub link state of a runtime",
  usage: "edge-runtime status --config FILE [--json]",
  description: `
Asks the running runtime over its admin socket (admin.socketPath) and prints
its state: node name, SPIFFE ID, certificate serial and NotAfter, next
renewal, last error, whether the upstream is reachable. When no runtime
answers, reads the state directory instead (no next renewal then).`,
  flags: {
    config: CONFIG_FLAG,
    json: { type: "boolean", doc: "print JSON instead of plain words" },
  },
  async run(args, io) {
    const { runStatus } = await import("./_status.ts");
    return await runStatus(args, io);
  },
};
