/**
 * Routes hub messages to the workloads subscribed with `GET /v1/messages`,
 * by `route.destination` (a SPIFFE ID). Messages for a destination with no
 * subscriber are held in memory (at most `holdPerDestination`, oldest
 * dropped with a warning) and handed to the first subscriber.
 * @module
 */
import type { Message } from "../message/mod.ts";
import { type Logger, nullLogger } from "../log/mod.ts";

/** Subscriber registry. */
export class Subscribers {
  readonly #subs = new Map<string, Set<(m: Message) => void>>();
  readonly #held = new Map<string, Message[]>();
  readonly #max: number;
  readonly #log: Logger;

  constructor(options: { holdPerDestination?: number; logger?: Logger } = {}) {
    this.#max = options.holdPerDestination ?? 1000;
    this.#log = options.logger ?? nullLogger;
  }

  /** Receive messages for any of `ids`; returns unsubscribe. */
  subscribe(ids: readonly string[], cb: (m: Message) => void): () => void {
    for (const id of ids) {
      let set = this.#subs.get(id);
      if (!set) this.#subs.set(id, set = new Set());
      set.add(cb);
      const held = this.#held.get(id);
      if (held) {
        this.#held.delete(id);
        held.forEach(cb);
      }
    }
    return () => {
      for (const id of ids) {
        const set = this.#subs.get(id);
        set?.delete(cb);
        if (set?.size === 0) this.#subs.delete(id);
      }
    };
  }

  /** Deliver a hub message; true when a subscriber got it. */
  deliver(msg: Message): boolean {
    const id = msg.route.destination;
    const set = this.#subs.get(id);
    if (set && set.size > 0) {
      for (const cb of set) cb(msg);
      return true;
    }
    let held = this.#held.get(id);
    if (!held) this.#held.set(id, held = []);
    held.push(msg);
    if (held.length > this.#max) {
      held.shift();
      this.#log.warn("message API: dropped the oldest held message", {
        destination: id,
      });
    }
    return false;
  }

  /** Number of live subscriptions. */
  get count(): number {
    let n = 0;
    for (const s of this.#subs.values()) n += s.size;
    return n;
  }
}
