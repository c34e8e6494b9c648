import type { Command } from "../command.ts";
import { CONFIG_FLAG } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { notYetAvailable } from "./pending.ts";

/** `edge-runtime token`: join token management on the hub. */
export const tokenCommand: Command = {
  name: "token",
  summary: "create, list and revoke join tokens (run on the hub)",
  usage:
    "edge-runtime token create --node NAME [--ttl 24h] --config HUB_FILE\n" +
    "edge-runtime token list --config HUB_FILE\n" +
    "edge-runtime token revoke ID --config HUB_FILE",
  description: `
A join token has the KubeEdge form <caHash>.<jwt>: the SHA-256 of the hub CA
certificate (so the device can pin the CA) and a single-use JWT naming the
node. Tokens are printed once and never logged.`,
  flags: {
    config: CONFIG_FLAG,
    node: {
      type: "string",
      value: "NAME",
      doc: "node the token is for (create)",
    },
    ttl: {
      type: "string",
      value: "DURATION",
      doc: "token lifetime, e.g. 24h (create)",
    },
  },
  run(args) {
    const sub = args.positionals[0];
    if (!sub || !["create", "list", "revoke"].includes(sub)) {
      throw new EdgeError(
        "USAGE",
        sub
          ? `unknown token subcommand "${sub}"`
          : "missing subcommand (create, list or revoke)",
      );
    }
    throw notYetAvailable(`"token ${sub}"`, 4);
  },
};
