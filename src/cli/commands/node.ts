import type { Command } from "../command.ts";
import { CONFIG_FLAG } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { notYetAvailable } from "./pending.ts";

const SUBCOMMANDS = ["list", "lock", "unlock", "revoke"];

/** `edge-runtime node`: the hub's node registry. */
export const nodeCommand: Command = {
  name: "node",
  summary:
    "list nodes and lock, unlock or revoke a lost device (run on the hub)",
  usage: "edge-runtime node list --config HUB_FILE\n" +
    "edge-runtime node lock|unlock|revoke NAME --config HUB_FILE",
  description: `
lock refuses renewals and hub connections of a node until unlock; revoke
also adds its certificates to the CRL and cannot be undone.`,
  flags: { config: CONFIG_FLAG },
  run(args) {
    const sub = args.positionals[0];
    if (!sub || !SUBCOMMANDS.includes(sub)) {
      throw new EdgeError(
        "USAGE",
        sub
          ? `unknown node subcommand "${sub}"`
          : `missing subcommand (${SUBCOMMANDS.join(", ")})`,
      );
    }
    throw notYetAvailable(`"node ${sub}"`, 4);
  },
};
