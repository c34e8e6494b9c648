/**
 * Live hub sessions of nodes, so that locking or revoking a node closes its
 * connections. The hub link (issue #7) registers each accepted connection
 * here; the authority calls {@link SessionRegistry.closeNode}.
 *
 * @example
 * ```ts
 * const sessions = new LiveSessions();
 * const unregister = sessions.register("pi-01", (reason) => ws.close(4001, reason));
 * ```
 * @module
 */

/** What the authority needs from the hub link. */
export interface SessionRegistry {
  /** Close every live session of `node`; returns how many were closed. */
  closeNode(node: string, reason: string): number | Promise<number>;
}

/** An in-memory {@link SessionRegistry} that connections register with. */
export class LiveSessions implements SessionRegistry {
  readonly #byNode = new Map<string, Set<(reason: string) => void>>();

  /** Register a session's close function; returns the unregister function. */
  register(node: string, close: (reason: string) => void): () => void {
    let set = this.#byNode.get(node);
    if (!set) this.#byNode.set(node, set = new Set());
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0 && this.#byNode.get(node) === set) {
        this.#byNode.delete(node);
      }
    };
  }

  /** Number of live sessions of `node`. */
  count(node: string): number {
    return this.#byNode.get(node)?.size ?? 0;
  }

  closeNode(node: string, reason: string): number {
    const set = this.#byNode.get(node);
    if (!set) return 0;
    this.#byNode.delete(node);
    for (const close of set) {
      try {
        close(reason);
      } catch {
        // one failing close must not keep the others open
      }
    }
    return set.size;
  }
}
