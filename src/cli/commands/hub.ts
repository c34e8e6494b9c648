import type { Command } from "../command.ts";
import { CONFIG_FLAG, stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";

/** `edge-runtime hub`: the reference hub (cloud side). */
export const hubCommand: Command = {
  name: "hub",
  summary:
    "run the reference hub: CA, join tokens, enrollment, message routing",
  usage: "edge-runtime hub --config FILE [--state-dir DIR]\n" +
    "edge-runtime hub status --config FILE [--json]\n" +
    "edge-runtime hub ca-hash --config FILE",
  description: `
Runs the reference hub until SIGINT/SIGTERM: opens and locks the hub state
directory, creates (or imports) the CA and prints its hash, serves the
KubeEdge-compatible enrollment API over HTTPS (enroll.listen) and the admin
API on a Unix socket (admin.socketPath). See docs/hub.md.

"hub status" asks the running hub over its admin socket (GET /status; no
credential needed, the socket is 0600) and prints: readiness with its
reasons, CA hash and NotAfter, the hub's TLS certificate NotAfter and next
renewal, listeners, nodes by state, join tokens, connected node links by
transport, messages, enrollment/renewal results, CRL and audit log. When no
hub answers it says "NOT RUNNING" and shows the CA and node counts from the
state directory (still exit 0). --json prints the same as JSON. Health,
readiness and Prometheus metrics are on the same socket: docs/metrics.md.

"hub ca-hash" prints the CA hash (SHA-256 of the CA certificate's DER) that
every join token starts with.`,
  flags: {
    config: CONFIG_FLAG,
    json: {
      type: "boolean",
      doc: "hub status: print JSON instead of plain words",
    },
  },
  async run(args, io) {
    const sub = args.positionals[0];
    if (sub !== "status" && args.flags.json) {
      throw new EdgeError("USAGE", '--json is only for "hub status"');
    }
    if (sub === "status") {
      const { runHubStatus } = await import("./hub_status.ts");
      return await runHubStatus(args, io);
    }
    if (sub === "ca-hash") {
      const { hubConfigFromArgs } = await import("./_hub_admin.ts");
      const { openStore } = await import("../../store/mod.ts");
      const { readCaHash } = await import("../../hubserver/mod.ts");
      const config = await hubConfigFromArgs(args);
      const store = await openStore(config.stateDir);
      io.stdout(await readCaHash(store, config.ca) + "\n");
      return 0;
    }
    if (sub !== undefined) {
      throw new EdgeError("USAGE", `unknown hub subcommand "${sub}"`);
    }
    const path = stringFlag(args, "config");
    if (!path) throw new EdgeError("USAGE", "missing --config FILE");
    const { startHub } = await import("../../hub_main.ts");
    return await startHub({
      configPath: path,
      stateDirOverride: stringFlag(args, "state-dir"),
      io,
    });
  },
};
