/**
 * The one "identity changed" event source. The scheduler publishes every
 * new node identity here; consumers (the node-identity file sink, later the
 * Workload API issuer and the hub link) subscribe with {@link
 * IdentitySource.watch} and follow renewals without a restart. Nobody polls
 * the state dir.
 *
 * @example
 * ```ts
 * const stop = source.watch(async (id) => reconnectWith(id));
 * stop(); // unsubscribe
 * ```
 * @module
 */
import { type Logger, nullLogger } from "../log/mod.ts";
import type { NodeIdentity } from "./state.ts";

/** Called with each new identity; may be async. */
export type IdentityWatcher = (id: NodeIdentity) => void | Promise<void>;

/** Read-only view of the node identity with change notifications. */
export interface IdentitySource {
  /** The current identity, or `undefined` before the first enrollment. */
  current(): NodeIdentity | undefined;
  /**
   * Call `cb` with the current identity (if any) and then after every change.
   * Returns the unsubscribe function.
   */
  watch(cb: IdentityWatcher): () => void;
}

/** The publishing side of {@link IdentitySource}. */
export class IdentityEvents implements IdentitySource {
  #current: NodeIdentity | undefined;
  #watchers = new Set<IdentityWatcher>();
  #log: Logger;

  /** @param logger where watcher failures are reported @default nullLogger */
  constructor(logger: Logger = nullLogger) {
    this.#log = logger;
  }

  current(): NodeIdentity | undefined {
    return this.#current;
  }

  watch(cb: IdentityWatcher): () => void {
    this.#watchers.add(cb);
    if (this.#current) void this.#call(cb, this.#current);
    return () => {
      this.#watchers.delete(cb);
    };
  }

  /**
   * Set the current identity and notify every watcher. Resolves when all
   * watchers have finished; a failing watcher is logged and does not stop
   * the others (nor the renewal loop).
   */
  async publish(id: NodeIdentity): Promise<void> {
    this.#current = id;
    await Promise.all([...this.#watchers].map((cb) => this.#call(cb, id)));
  }

  async #call(cb: IdentityWatcher, id: NodeIdentity): Promise<void> {
    try {
      await cb(id);
    } catch (err) {
      this.#log.error("identity watcher failed", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
