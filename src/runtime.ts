/**
 * The device runtime's composition root: config → logger → store → node
 * identity (bootstrap, renewal, sinks) → admin API, running until SIGINT or
 * SIGTERM. The Workload API and the hub link are wired here as their issues
 * land; each subscribes to the identity's "identity changed" events.
 * @module
 */
import type { CliIo } from "./cli/command.ts";
import { loadConfig } from "./config/mod.ts";
import { createLogger } from "./log/mod.ts";
import { openStore } from "./store/mod.ts";
import { nodeIdentityFromConfig } from "./identity/mod.ts";
import { type AdminServer, startAdminServer } from "./admin/mod.ts";

/** Options of {@link startRuntime} and {@link startHub}. */
export interface StartOptions {
  /** Path of the YAML configuration. */
  configPath: string;
  /** `--state-dir`, overriding `stateDir` of the config. */
  stateDirOverride?: string;
  /** Where user-facing output goes. */
  io: CliIo;
}

/** An AbortSignal that fires on SIGINT or SIGTERM; `dispose` removes the listeners. */
function shutdownSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error("shutdown requested"));
  const sigs = ["SIGINT", "SIGTERM"] as const;
  for (const s of sigs) Deno.addSignalListener(s, stop);
  return {
    signal: ac.signal,
    dispose: () => sigs.forEach((s) => Deno.removeSignalListener(s, stop)),
  };
}

/**
 * Run the device runtime until SIGINT/SIGTERM (exit 0). Enrollment problems
 * that retrying cannot fix (bad token, CA hash mismatch, refusal) throw and
 * end the process with their message.
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
  const shutdown = shutdownSignal();
  const { signal } = shutdown;
  const identity = nodeIdentityFromConfig(config, { store, logger: log });
  let admin: AdminServer | undefined;
  try {
    admin = await startAdminServer({
      socketPath: config.admin.socketPath,
      status: () => ({ identity: identity.manager.status() }),
      logger: log,
    }).catch((err) => {
      log.warn("admin API not started; status falls back to the state dir", {
        socketPath: config.admin.socketPath,
        error: err.message,
      });
      return undefined;
    });
    identity.upstream.start?.(signal);
    await identity.manager.start(signal);
    await identity.manager.run(signal);
    log.info("runtime stopped");
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    shutdown.dispose();
    await admin?.close();
  }
}
