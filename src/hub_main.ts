/**
 * The reference hub's composition root: config → logger → hub server (CA,
 * tokens, registry, audit, enrollment and admin APIs). Prints the CA hash,
 * then runs until SIGINT or SIGTERM.
 * @module
 */
import { loadConfig } from "./config/mod.ts";
import { createLogger } from "./log/mod.ts";
import type { StartOptions } from "./runtime.ts";
import { startHubServer } from "./hubserver/mod.ts";

/** Start the reference hub and serve until SIGINT/SIGTERM; returns 0 then. */
export async function startHub(options: StartOptions): Promise<number> {
  const config = await loadConfig("hub", options.configPath, {
    stateDirOverride: options.stateDirOverride,
  });
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
  })
    .child({ component: "hub" });
  // The node-message sink: one JSON line per message on stdout.
  const hub = await startHubServer(config, {
    logger: log,
    onNodeMessage: (node, msg) =>
      options.io.stdout(
        JSON.stringify({
          node,
          source: msg.route.source,
          resource: msg.route.resource,
          msg_id: msg.header.msg_id,
          content: msg.content,
        }) + "\n",
      ),
  });
  options.io.stdout(
    `CA hash: ${hub.caHash}\n` +
      `enrollment: ${hub.enrollUrl}\n` +
      `node links (WebSocket): port ${hub.websocketPort}\n` +
      `admin socket: ${hub.adminSocket}\n`,
  );
  const signal = await new Promise<string>((resolve) => {
    const on = (name: Deno.Signal) => {
      const handler = () => {
        Deno.removeSignalListener("SIGINT", onInt);
        Deno.removeSignalListener("SIGTERM", onTerm);
        resolve(name);
      };
      return handler;
    };
    const onInt = on("SIGINT");
    const onTerm = on("SIGTERM");
    Deno.addSignalListener("SIGINT", onInt);
    Deno.addSignalListener("SIGTERM", onTerm);
  });
  log.info("stopping", { signal });
  await hub.close();
  return 0;
}
