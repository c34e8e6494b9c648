/**
 * Test-only runtime entry: wires the node identity from the state dir, the
 * hub link and the message API exactly as the runtime does (entries from
 * config + pushed by the hub), until SIGTERM. Usage: `_edge_node.ts CONFIG`.
 * @module
 */
import { loadConfig } from "../../src/config/mod.ts";
import { createLogger } from "../../src/log/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { IdentityEvents, loadIdentity } from "../../src/identity/mod.ts";
import { startHubLink } from "../../src/hub/mod.ts";
import { startMessageApi } from "../../src/messageapi/mod.ts";
import { entriesFromConfig, EntryStore } from "../../src/workloadapi/mod.ts";

const config = await loadConfig("edge", Deno.args[0]);
const logger = createLogger({ level: config.log.level, format: "json" });
const store = await openStore(config.stateDir, { logger });
using _lock = await store.lock();
const identity = new IdentityEvents(logger);
const id = await loadIdentity(store);
if (!id) throw new Error("no identity in the state dir");
await identity.publish(id);
const entries = new EntryStore(config.trustDomain);
entries.replace("config", entriesFromConfig(config.workloadApi));
let deliver = (_: unknown) => false;
const link = await startHubLink({
  config,
  identity,
  store,
  logger,
  onEntries: (e) => entries.replace("hub", e),
  onMessage: (m) => void deliver(m),
});
const api = await startMessageApi({
  socketPath: config.hub.messageApi.socketPath,
  publish: link.publish,
  entries,
  logger,
});
deliver = (m) => api.deliver(m as never);
console.log("ready");
await new Promise<void>((resolve) =>
  Deno.addSignalListener("SIGTERM", resolve)
);
await api.close();
await link.close();
Deno.exit(0);
