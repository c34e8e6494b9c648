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

/**
 * A queued message with its position: its id and encoded text only (no
 * decoded object is kept for a message waiting in the queue).
 */
export interface OutboxEntry {
  readonly seq: number;
  /** Its `header.msg_id`. */
  readonly id: string;
  /** The encoded text (sent as is). */
  readonly text: string;
  /** 0 being written, 1 durable and waiting for the hub's ACK, 2 done (ACKed, or its write failed). */
  state: 0 | 1 | 2;
}

/** Options of {@link Outbox.open}. */
export interface OutboxOptions {
  /** @default 10000 */
  maxMessages?: number;
  /** @default nullLogger */
  logger?: Logger;
  /** File name in the store dir. @default {@link OUTBOX_FILE} */
  file?: string;
  /** Rewrite the file only once it has this many lines (see queue.ts). @default 32768 */
  compactAfter?: number;
}

/** Messages written by one group commit. */
interface WriteGroup {
  /** Seq of its first message (its messages have consecutive seqs). */
  first: number;
  durable: Promise<void>;
  entries: OutboxEntry[];
  /** 0 being written, 1 durable, 2 failed. */
  state: 0 | 1 | 2;
}

/** The durable outbox. */
export class Outbox {
  readonly #queue: DurableQueue;
  /**
   * Every queued message by id, durable or still being written; insertion
   * order is seq order (messages being written come last).
   */
  readonly #byId = new Map<string, OutboxEntry>();
  /** Durable entries waiting for the hub's ACK. */
  #size = 0;
  /**
   * Groups being written, oldest first (a few at most). They are taken in
   * strictly in this order, even if a later write settles first.
   */
  readonly #writing: WriteGroup[] = [];
  /** The group that new messages join, and its entries. */
  #batch: Promise<void> | undefined;
  #batchEntries: OutboxEntry[] = [];
  readonly #watchers = new Set<(added: readonly OutboxEntry[]) => void>();
  #accepted = 0;
  #acknowledged = 0;
  #refused = 0;

  private constructor(queue: DurableQueue) {
    this.#queue = queue;
    for (const { seq, item } of queue.items()) {
      const msg = decodeMessage(item, { maxBytes: Number.MAX_SAFE_INTEGER });
      const id = msg.header.msg_id;
      this.#byId.set(id, { seq, id, text: item, state: 1 });
    }
    this.#size = this.#byId.size;
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
        // Fewer rewrites under load (each holds appends for a few fsyncs).
        compactAfter: options.compactAfter ?? 32_768,
        logger: options.logger ?? nullLogger,
      },
    );
    return new Outbox(queue);
  }

  /**
   * Queue `msg`; resolves once it is durable. A message whose `msg_id` is
   * already queued is not queued twice (a sender retrying after a crash).
   * Throws `OUTBOX_FULL` when full. Messages put while an fsync is in flight
   * are written together and share one promise (group commit); once durable
   * the outbox takes them in (visible to {@link Outbox.entries}, watchers
   * called once per group), in seq order.
   */
  put(msg: Message): Promise<void> {
    const id = msg.header.msg_id;
    const known = this.#byId.get(id);
    if (known !== undefined) return this.#durableOf(known);
    const text = encodeMessage(msg);
    let seq: number, durable: Promise<void>;
    try {
      ({ seq, durable } = this.#queue.push(text));
    } catch (err) {
      if ((err as { code?: string }).code === "OUTBOX_FULL") this.#refused++;
      return Promise.reject(err);
    }
    if (durable !== this.#batch) {
      this.#batch = durable;
      const g: WriteGroup = { first: seq, durable, entries: [], state: 0 };
      this.#writing.push(g);
      this.#batchEntries = g.entries;
      durable.then(() => this.#settle(g, 1), () => this.#settle(g, 2));
    }
    const e: OutboxEntry = { seq, id, text, state: 0 };
    this.#batchEntries.push(e);
    this.#byId.set(id, e);
    return durable;
  }

  /** The promise of the write that holds `e` (resolved once durable). */
  #durableOf(e: OutboxEntry): Promise<void> {
    if (e.state !== 0) return Promise.resolve();
    for (let i = this.#writing.length - 1; i >= 0; i--) {
      if (this.#writing[i].first <= e.seq) return this.#writing[i].durable;
    }
    return Promise.resolve();
  }

  /**
   * A write settled (1 durable, 2 failed): take in the groups at the front
   * that are done — durable ones into the queue (watchers told once per
   * group), failed ones forgotten (their senders were told).
   */
  #settle(g: WriteGroup, state: 1 | 2): void {
    g.state = state;
    while (this.#writing.length > 0 && this.#writing[0].state !== 0) {
      const { entries, state } = this.#writing.shift()!;
      if (state === 2) {
        for (const e of entries) {
          e.state = 2;
          this.#byId.delete(e.id);
        }
        continue;
      }
      for (const e of entries) e.state = 1;
      this.#size += entries.length;
      this.#accepted += entries.length;
      for (const cb of this.#watchers) cb(entries);
    }
  }

  /** Remove the message `msgId` (the hub ACKed it). False when unknown. */
  ack(msgId: string): boolean {
    const e = this.#byId.get(msgId);
    if (e === undefined || e.state !== 1) return false;
    e.state = 2;
    this.#byId.delete(msgId);
    this.#size--;
    this.#queue.remove(e.seq);
    this.#acknowledged++;
    return true;
  }

  /** True when `msgId` is queued (durable). */
  has(msgId: string): boolean {
    return this.#byId.get(msgId)?.state === 1;
  }

  /** Queued (durable) messages after `afterSeq`, in order. */
  entries(afterSeq = 0): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.#byId.values()) {
      if (e.state === 1 && e.seq > afterSeq) out.push(e);
    }
    return out;
  }

  /**
   * Call `cb` with the messages of each group once it is durable (in seq
   * order, each after every earlier one); returns unsubscribe.
   */
  watch(cb: (added: readonly OutboxEntry[]) => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }

  /** Number of queued messages. */
  get size(): number {
    return this.#size;
  }

  /** Counters for status/metrics. */
  status(): OutboxStatus {
    return {
      queued: this.#size,
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
