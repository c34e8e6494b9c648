/**
 * The reference hub's composition root: config → logger → store. The
 * authority, enrollment API and message routing are wired here as issue #4
 * lands.
 * @module
 */
import { notYetAvailable } from "./cli/commands/pending.ts";
import { loadConfig } from "./config/mod.ts";
import { createLogger } from "./log/mod.ts";
import type { StartOptions } from "./runtime.ts";
import { openStore } from "./store/mod.ts";

/**
 * Start the reference hub. Validates the configuration, opens and locks the
 * state directory, then — until issue #4 — stops with a clear error.
 */
export async function startHub(options: StartOptions): Promise<number> {
  const config = await loadConfig("hub", options.configPath, {
    stateDirOverride: options.stateDirOverride,
  });
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
  })
    .child({ component: "hub" });
  const store = await openStore(config.stateDir, { logger: log });
  using _lock = await store.lock();
  log.info("state directory ready", { stateDir: config.stateDir });
  throw notYetAvailable("the reference hub (CA, enrollment, tokens)", 4);
}
