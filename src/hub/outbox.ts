/**
 * The durable outbox of the hub link: every upstream message is appended to
 * a {@link DurableQueue} in the state dir (`hub-outbox.log`) before the local
 * sender is told "accepted", sent in order, removed when the hub ACKs it
 * (`parent_msg_id`), and sent again after every reconnect until then. It
 * survives SIGKILL and reboot (see `src/store/queue.ts`).
 *
 * Full policy: at `hub.outbox.maxMessages` new messages are refused with
 * `OUTBOX_FULL` (HTTP 503 at the message API); nothing queued is dropped.
 *
 * @example
 * ```ts
 * const outbox = await Outbox.open(store, { maxMessages: 10_000 });
 * await outbox.put(msg);            // durable
 * outbox.ack(ack.header.parent_msg_id);
 * ```
 * @module
 */
import { decodeMessage, encodeMessage, type Message } from "../message/mod.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type DurableQueue, openQueue } from "../store/queue.ts";
import type { Store } from "../store/mod.ts";

/** File of the outbox in the state dir. */
export const OUTBOX_FILE = "hub-outbox.log";

/** Outbox counters for status and metrics. */
export interface OutboxStatus {
  /** Messages waiting for the hub's ACK. */
  queued: number;
  /** The bound (`hub.outbox.maxMessages`). */
  maxMessages: number;
  /** True when new messages are being refused. */
  full: boolean;
  /** Messages accepted since start. */
  accepted: number;
  /** Messages acknowledged by the hub since start. */
  acknowledged: number;
  /** Sends refused because the outbox was full, since start. */
  refusedFull: number;
}

/** A queued message with its position. */
export interface OutboxEntry {
  seq: number;
  msg: Message;
  /** The encoded text (sent as is). */
  text: string;
}

/** Options of {@link Outbox.open}. */
export interface OutboxOptions {
  /** @default 10000 */
  maxMessages?: number;
  /** @default nullLogger */
  logger?: Logger;
  /** File name in the store dir. @default {@link OUTBOX_FILE} */
  file?: string;
}

/** The durable outbox. */
export class Outbox {
  readonly #queue: DurableQueue;
  readonly #bySeq = new Map<number, OutboxEntry>();
  readonly #seqById = new Map<string, number>();
  readonly #pendingIds = new Map<string, Promise<void>>();
  readonly #watchers = new Set<() => void>();
  /** Entries in seq order, acked ones trimmed from the front lazily. */
  #order: OutboxEntry[] = [];
  #head = 0;
  #accepted = 0;
  #acknowledged = 0;
  #refused = 0;

  private constructor(queue: DurableQueue) {
    this.#queue = queue;
    for (const { seq, item } of queue.items()) {
      const msg = decodeMessage(item, { maxBytes: Number.MAX_SAFE_INTEGER });
      const e = { seq, msg, text: item };
      this.#bySeq.set(seq, e);
      this.#order.push(e);
      this.#seqById.set(msg.header.msg_id, seq);
    }
  }

  /** Open the outbox in `store`'s directory, replaying what was queued. */
  static async open(
    store: Store,
    options: OutboxOptions = {},
  ): Promise<Outbox> {
    const queue = await openQueue(
      `${store.dir}/${options.file ?? OUTBOX_FILE}`,
      {
        maxItems: options.maxMessages ?? 10_000,
        logger: options.logger ?? nullLogger,
      },
    );
    return new Outbox(queue);
  }

  /**
   * Queue `msg`; resolves once it is durable. A message whose `msg_id` is
   * already queued is not queued twice (a sender retrying after a crash).
   * Throws `OUTBOX_FULL` when full.
   */
  async put(msg: Message): Promise<void> {
    const id = msg.header.msg_id;
    if (this.#seqById.has(id)) return;
    const inFlight = this.#pendingIds.get(id);
    if (inFlight) return await inFlight;
    const text = encodeMessage(msg);
    const p = (async () => {
      let seq: number;
      try {
        seq = await this.#queue.enqueue(text);
      } catch (err) {
        if ((err as { code?: string }).code === "OUTBOX_FULL") this.#refused++;
        throw err;
      }
      const e = { seq, msg, text };
      this.#bySeq.set(seq, e);
      this.#insert(e);
      this.#seqById.set(id, seq);
      this.#accepted++;
      for (const cb of this.#watchers) cb();
    })();
    this.#pendingIds.set(id, p);
    try {
      await p;
    } finally {
      this.#pendingIds.delete(id);
    }
  }

  /** Remove the message `msgId` (the hub ACKed it). False when unknown. */
  ack(msgId: string): boolean {
    const seq = this.#seqById.get(msgId);
    if (seq === undefined) return false;
    this.#seqById.delete(msgId);
    this.#bySeq.delete(seq);
    this.#queue.remove(seq);
    this.#acknowledged++;
    while (
      this.#head < this.#order.length &&
      !this.#bySeq.has(this.#order[this.#head].seq)
    ) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  #insert(e: OutboxEntry): void {
    // Durable completions arrive in seq order almost always; keep it sorted.
    let i = this.#order.length;
    while (i > this.#head && this.#order[i - 1].seq > e.seq) i--;
    this.#order.splice(i, 0, e);
  }

  /** True when `msgId` is queued. */
  has(msgId: string): boolean {
    return this.#seqById.has(msgId);
  }

  /** Queued messages after `afterSeq`, in order. */
  entries(afterSeq = 0): OutboxEntry[] {
    let lo = this.#head, hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#order[mid].seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: OutboxEntry[] = [];
    for (let i = lo; i < this.#order.length; i++) {
      const e = this.#order[i];
      if (this.#bySeq.has(e.seq)) out.push(e);
    }
    return out;
  }

  /** Call `cb` after each newly queued message; returns unsubscribe. */
  watch(cb: () => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }

  /** Number of queued messages. */
  get size(): number {
    return this.#bySeq.size;
  }

  /** Counters for status/metrics. */
  status(): OutboxStatus {
    return {
      queued: this.#bySeq.size,
      maxMessages: this.#queue.maxItems,
      full: this.#queue.size >= this.#queue.maxItems,
      accepted: this.#accepted,
      acknowledged: this.#acknowledged,
      refusedFull: this.#refused,
    };
  }

  /** Flush and close. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}
