import type { Command } from "../command.ts";
import { CONFIG_FLAG } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import type { NodeRecord } from "../../hubserver/mod.ts";

const SUBCOMMANDS = ["list", "lock", "unlock", "revoke"];

/** `edge-runtime node`: the hub's node registry. */
export const nodeCommand: Command = {
  name: "node",
  summary:
    "list nodes and lock, unlock or revoke a lost device (run on the hub)",
  usage: "edge-runtime node list --config HUB_FILE\n" +
    "edge-runtime node lock|unlock|revoke NAME --config HUB_FILE",
  description: `
lock refuses renewals, node intermediates and hub connections of a node
(closing live ones) until unlock; revoke also puts its certificates on the
CRL and cannot be undone (the node needs a new token). Talks to the running
hub's admin API.`,
  flags: { config: CONFIG_FLAG },
  async run(args, io) {
    const { callAdmin, isoOrDash, table } = await import("./_hub_admin.ts");
    const sub = args.positionals[0];
    if (!sub || !SUBCOMMANDS.includes(sub)) {
      throw new EdgeError(
        "USAGE",
        sub
          ? `unknown node subcommand "${sub}"`
          : `missing subcommand (${SUBCOMMANDS.join(", ")})`,
      );
    }
    if (sub === "list") {
      const { nodes } = await callAdmin<{ nodes: NodeRecord[] }>(
        args,
        "GET",
        "/v1/nodes",
      );
      io.stdout(table([
        ["NAME", "STATE", "LAST SEEN", "SERIAL", "EXPIRES"],
        ...nodes.map((n) => {
          const last = n.certs.filter((c) => c.kind === "node").at(-1);
          return [
            n.name,
            n.state,
            isoOrDash(n.lastSeen),
            last?.serial ?? "-",
            isoOrDash(last?.notAfter),
          ];
        }),
      ]));
      return 0;
    }
    const name = args.positionals[1];
    if (!name) throw new EdgeError("USAGE", `node ${sub}: missing node NAME`);
    const { node } = await callAdmin<{ node: NodeRecord }>(
      args,
      "POST",
      `/v1/nodes/${encodeURIComponent(name)}/${sub}`,
    );
    io.stdout(`node ${node.name}: ${node.state}\n`);
    return 0;
  },
};
