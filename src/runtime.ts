/**
 * The device runtime's composition root: config → logger → store. The parts
 * that run on top (identity, Workload API, hub link) are wired here as their
 * issues land.
 * @module
 */
import type { CliIo } from "./cli/command.ts";
import { notYetAvailable } from "./cli/commands/pending.ts";
import { loadConfig } from "./config/mod.ts";
import { createLogger } from "./log/mod.ts";
import { openStore } from "./store/mod.ts";

/** Options of {@link startRuntime} and {@link startHub}. */
export interface StartOptions {
  /** Path of the YAML configuration. */
  configPath: string;
  /** `--state-dir`, overriding `stateDir` of the config. */
  stateDirOverride?: string;
  /** Where user-facing output goes. */
  io: CliIo;
}

/**
 * Start the device runtime. Validates the configuration, opens and locks
 * the state directory, and then — until the node identity lifecycle exists
 * (issue #5) — stops with a clear "not available" error.
 */
export async function startRuntime(options: StartOptions): Promise<number> {
  const config = await loadConfig("edge", options.configPath, {
    stateDirOverride: options.stateDirOverride,
  });
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
  })
    .child({ component: "runtime", node: config.node.name });
  const store = await openStore(config.stateDir, { logger: log });
  using _lock = await store.lock();
  log.info("state directory ready", { stateDir: config.stateDir });
  throw notYetAvailable("the node identity lifecycle (bootstrap, renewal)", 5);
}
