import type { Command } from "../command.ts";
import { CONFIG_FLAG, stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import type { TokenView } from "../../hubserver/mod.ts";

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
node. Tokens are printed once and never logged. The command talks to the
running hub's admin API (admin.socketPath) with the credential in its state
dir.`,
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
  async run(args, io) {
    const { callAdmin, isoOrDash, table } = await import("./_hub_admin.ts");
    const sub = args.positionals[0];
    if (sub === "create") {
      const node = stringFlag(args, "node");
      if (!node) {
        throw new EdgeError("USAGE", "token create: missing --node NAME");
      }
      const out = await callAdmin<
        { token: string; id: string; expiresAt: string }
      >(
        args,
        "POST",
        "/v1/tokens",
        { node, ttl: stringFlag(args, "ttl") },
      );
      io.stdout(out.token + "\n");
      io.stderr(
        `token ${out.id} for node "${node}" expires ${out.expiresAt}\n`,
      );
      return 0;
    }
    if (sub === "list") {
      const { tokens } = await callAdmin<{ tokens: TokenView[] }>(
        args,
        "GET",
        "/v1/tokens",
      );
      io.stdout(table([
        ["ID", "NODE", "STATUS", "CREATED", "EXPIRES"],
        ...tokens.map((t) => [
          t.id,
          t.node,
          t.status,
          isoOrDash(t.createdAt),
          isoOrDash(t.expiresAt),
        ]),
      ]));
      return 0;
    }
    if (sub === "revoke") {
      const id = args.positionals[1];
      if (!id) throw new EdgeError("USAGE", "token revoke: missing token ID");
      await callAdmin(args, "DELETE", `/v1/tokens/${encodeURIComponent(id)}`);
      io.stdout(`revoked token ${id}\n`);
      return 0;
    }
    throw new EdgeError(
      "USAGE",
      sub
        ? `unknown token subcommand "${sub}"`
        : "missing subcommand (create, list or revoke)",
    );
  },
};
