/**
 * The hub side of the hub link, independent of the transport: live node
 * sessions (registered with {@link LiveSessions}, so lock/revoke cuts them
 * off), node → hub routing (de-duplicated by `msg_id` in a durable seen log,
 * handed to the `onMessage` sink once, then ACKed), hub → node messages with
 * per-node resend until ACK (every `resendMs` while connected, and after each
 * reconnect), registration entries pushed to nodes on connect and on change,
 * and the keepalive timeout (KubeEdge: 30 s without a message drops the
 * session).
 *
 * @example
 * ```ts
 * const links = await NodeLinks.open({ store, sessions, onMessage: (node, m) => print(node, m) });
 * const session = links.attach("pi-1", { send: (t) => ws.send(t), close: (c, r) => ws.close(c, r) });
 * ws.on("message", (t) => session.receive(String(t)));
 * ws.on("close", () => session.detach());
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  CONTROL_OPERATIONS,
  controlAnswer,
  decodeMessage,
  EDGE_RUNTIME_GROUP,
  encodeAck,
  encodeAckBatches,
  encodeMessage,
  ENTRIES_RESOURCE,
  isAck,
  isKeepalive,
  type Message,
  newMessage,
} from "../message/mod.ts";
import type { Store } from "../store/mod.ts";
import { openSeenLog, type SeenLog } from "../store/seen_log.ts";
import type { LiveSessions } from "./sessions.ts";

/** IDs that `encodeURIComponent` leaves as they are (the common case). */
const SAFE_ID = /^[\w.~-]+$/;

/** File of the hub's inbound seen IDs in its state dir. */
export const HUB_INBOX_FILE = "link-inbox.seen";
/** Unit holding the registration entries per node. */
export const NODE_ENTRIES_UNIT = "node-entries";

/** A transport-level connection, as the session needs it. */
export interface NodeConn {
  /** Send one encoded message. */
  send(text: string): void;
  /**
   * Send several encoded messages, each its own message/frame, in one write
   * where the transport can. @default one {@link NodeConn.send} each
   */
  sendMany?(texts: readonly string[]): void;
  /** Close with a code and reason; must cut the connection off promptly. */
  close(code: number, reason: string): void;
  /**
   * The node asked for batched ACKs (`src/message/edge_runtime.ts`): one
   * message per durable group instead of one ACK per message.
   */
  batchAcks?: boolean;
}

/** One attached session. */
export interface NodeSession {
  readonly node: string;
  /** Feed one received message (text). */
  receive(text: string): void;
  /** The transport closed: forget the session. */
  detach(): void;
}

/** Where node messages go (the pluggable sink). */
export type NodeMessageSink = (
  node: string,
  msg: Message,
) => void | Promise<void>;

/** A registration entry for a node (the Workload API's entry input). */
export interface NodeEntry {
  id?: string;
  spiffeId: string;
  selectors: string[];
  ttlMs?: number;
  dnsNames?: string[];
  hint?: string;
}

/** Options of {@link NodeLinks.open}. */
export interface NodeLinksOptions {
  store: Store;
  sessions: LiveSessions;
  /** The sink of node messages. @default logs one line per message */
  onMessage?: NodeMessageSink;
  /** Resend an unacknowledged hub → node message after this long. @default 5000 */
  resendMs?: number;
  /** Drop a session silent for this long. @default 30000 */
  keepaliveTimeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default nullLogger */
  logger?: Logger;
}

interface Pending {
  msg: Message;
  text: string;
  sentAt: number;
}

/** Per-node link state on the hub. */
export class NodeLinks {
  readonly #o: NodeLinksOptions;
  readonly #seen: SeenLog;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #live = new Map<string, Set<LiveSession>>();
  readonly #pending = new Map<string, Map<string, Pending>>();
  #entries: Record<string, NodeEntry[]>;
  readonly #stop = new AbortController();
  #received = 0;
  #duplicates = 0;
  #sent = 0;
  #resent = 0;

  private constructor(
    o: NodeLinksOptions,
    seen: SeenLog,
    entries: Record<string, NodeEntry[]>,
  ) {
    this.#o = o;
    this.#seen = seen;
    this.#entries = entries;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? nullLogger;
    void this.#timers();
  }

  /** Open the durable parts (seen log, entries) in the hub's store. */
  static async open(o: NodeLinksOptions): Promise<NodeLinks> {
    const seen = await openSeenLog(`${o.store.dir}/${HUB_INBOX_FILE}`, {
      capacity: 1_000_000,
      logger: o.logger,
    });
    const raw = await o.store.read(NODE_ENTRIES_UNIT);
    const entries = raw ? JSON.parse(new TextDecoder().decode(raw)) : {};
    return new NodeLinks(o, seen, entries);
  }

  /**
   * Attach an authenticated connection of `node`. Older sessions of the same
   * node are closed first (one link per node keeps per-sender order). Sends
   * the node's entries and every unacknowledged message.
   */
  attach(node: string, conn: NodeConn): NodeSession {
    this.#o.sessions.closeNode(node, "replaced by a new connection");
    const s = new LiveSession(this, node, conn, this.#clock.now());
    const unregister = this.#o.sessions.register(node, (reason) => {
      s.detach();
      conn.close(4003, reason.slice(0, 120));
    });
    s.onDetach = () => {
      unregister();
      const set = this.#live.get(node);
      set?.delete(s);
      if (set?.size === 0) this.#live.delete(node);
    };
    let set = this.#live.get(node);
    if (!set) this.#live.set(node, set = new Set());
    set.add(s);
    this.#log.info("node link up", { node });
    this.#pushEntries(node, s);
    for (const p of this.#pending.get(node)?.values() ?? []) {
      p.sentAt = this.#clock.now();
      s.sendText(p.text);
    }
    return s;
  }

  /**
   * Send a message to `node` (queued if it is offline; resent until ACKed).
   * Returns the message with its `msg_id`.
   */
  send(
    node: string,
    route: Partial<Message["route"]>,
    content: unknown,
  ): Message {
    const msg = newMessage(
      {
        source: route.source ?? "hub",
        destination: route.destination ?? "",
        group: route.group ?? "user",
        operation: route.operation ?? "publish",
        resource: route.resource ?? "",
      },
      content,
      { now: this.#clock.now() },
    );
    this.#enqueue(node, msg);
    return msg;
  }

  /** Replace `node`'s registration entries and push them if it is connected. */
  async setEntries(node: string, entries: NodeEntry[]): Promise<void> {
    if (!Array.isArray(entries)) {
      throw new EdgeError("HUB_BAD_REQUEST", "entries: expected a list");
    }
    entries.forEach((e, i) => {
      if (
        typeof e?.spiffeId !== "string" || !Array.isArray(e.selectors) ||
        e.selectors.some((x) => typeof x !== "string")
      ) {
        throw new EdgeError(
          "HUB_BAD_REQUEST",
          `entries[${i}]: expected {spiffeId: string, selectors: [string]}`,
        );
      }
    });
    this.#entries = { ...this.#entries, [node]: entries };
    await this.#o.store.write(
      NODE_ENTRIES_UNIT,
      new TextEncoder().encode(JSON.stringify(this.#entries)),
    );
    for (const s of this.#live.get(node) ?? []) this.#pushEntries(node, s);
  }

  /** Registration entries of `node`. */
  entries(node: string): NodeEntry[] {
    return this.#entries[node] ?? [];
  }

  /** Current time of the injected clock. */
  now(): number {
    return this.#clock.now();
  }

  /** Nodes with a live session. */
  connectedNodes(): string[] {
    return [...this.#live.keys()];
  }

  /** Counters. */
  stats(): {
    sessions: number;
    received: number;
    duplicates: number;
    pendingToNodes: number;
    sent: number;
    resent: number;
  } {
    let pending = 0;
    for (const m of this.#pending.values()) pending += m.size;
    let sessions = 0;
    for (const s of this.#live.values()) sessions += s.size;
    return {
      sessions,
      received: this.#received,
      duplicates: this.#duplicates,
      pendingToNodes: pending,
      sent: this.#sent,
      resent: this.#resent,
    };
  }

  /** Stop timers, close sessions, flush the seen log. */
  async close(): Promise<void> {
    this.#stop.abort();
    for (const [node] of this.#live) {
      this.#o.sessions.closeNode(node, "hub stopping");
    }
    await this.#seen.close();
  }

  #pushEntries(node: string, s: LiveSession): void {
    const entries = this.#entries[node];
    if (!entries) return;
    const msg = newMessage(
      {
        source: "hub",
        group: EDGE_RUNTIME_GROUP,
        resource: ENTRIES_RESOURCE,
        operation: "update",
      },
      { entries },
      { now: this.#clock.now() },
    );
    // Only the newest entries message matters: drop older unacked ones.
    const pending = this.#pending.get(node);
    for (const [id, p] of pending ?? []) {
      if (
        p.msg.route.resource === ENTRIES_RESOURCE &&
        p.msg.route.group === EDGE_RUNTIME_GROUP
      ) {
        pending!.delete(id);
      }
    }
    this.#enqueue(node, msg, s);
  }

  #enqueue(node: string, msg: Message, only?: LiveSession): void {
    let m = this.#pending.get(node);
    if (!m) this.#pending.set(node, m = new Map());
    const p: Pending = {
      msg,
      text: encodeMessage(msg),
      sentAt: this.#clock.now(),
    };
    m.set(msg.header.msg_id, p);
    this.#sent++;
    for (const s of only ? [only] : this.#live.get(node) ?? []) {
      s.sendText(p.text);
    }
  }

  /**
   * @internal messages from `node` received in one turn, in order. Each new
   * `msg_id` goes to the sink at once and to the seen log (one group
   * commit); the batch's ACKs are sent once every ID of the batch — and of
   * earlier batches, e.g. the first copy of a duplicate — is on disk: one
   * ACK message each, or one batched ACK when the node asked for that.
   */
  _receiveBatch(s: LiveSession, texts: readonly string[]): void {
    const now = this.#clock.now();
    const batched = s.conn.batchAcks === true;
    /** Encoded ACKs, or the ACKed ids when `batched`. */
    let acks: string[] | undefined;
    for (const text of texts) {
      let msg: Message;
      try {
        msg = decodeMessage(text);
      } catch (err) {
        this.#log.warn("invalid message from a node", {
          node: s.node,
          error: (err as Error).message,
        });
        continue;
      }
      if (isKeepalive(msg)) continue;
      if (isAck(msg)) {
        this.#pending.get(s.node)?.delete(msg.header.parent_msg_id);
        continue;
      }
      if (msg.route.operation === "response") continue;
      if (CONTROL_OPERATIONS.has(msg.route.operation)) {
        s.sendText(encodeMessage(controlAnswer(msg, { now })));
        continue;
      }
      const id = msg.header.msg_id;
      const key = `${s.node}/${SAFE_ID.test(id) ? id : encodeURIComponent(id)}`;
      let isNew: boolean;
      try {
        isNew = this.#seen.addNew(key);
      } catch (err) {
        this.#log.error("cannot record a node message; not acknowledged", {
          error: String(err),
        });
        continue;
      }
      if (!isNew) {
        this.#duplicates++;
      } else {
        this.#received++;
        try {
          const r = (this.#o.onMessage ?? this.#defaultSink)(s.node, msg);
          if (r instanceof Promise) {
            r.catch((err) =>
              this.#log.error("node message sink failed", {
                error: String(err),
              })
            );
          }
        } catch (err) {
          this.#log.error("node message sink failed", { error: String(err) });
        }
      }
      (acks ??= []).push(batched ? id : encodeAck(msg, { now }));
    }
    if (acks === undefined) return;
    const send = batched ? encodeAckBatches(acks, { now }) : acks;
    this.#seen.synced().then(
      () => s.sendTexts(send),
      (err) =>
        this.#log.error("cannot record node messages; not acknowledged", {
          error: String(err),
        }),
    );
  }

  #defaultSink: NodeMessageSink = (node, msg) => {
    this.#log.info("node message", {
      node,
      source: msg.route.source,
      resource: msg.route.resource,
      content: msg.content,
    });
  };

  async #timers(): Promise<void> {
    const resendMs = this.#o.resendMs ?? 5_000;
    const timeout = this.#o.keepaliveTimeoutMs ?? 30_000;
    const tick = Math.min(1_000, resendMs, timeout);
    while (!this.#stop.signal.aborted) {
      await this.#clock.sleep(tick, this.#stop.signal).catch(() => {});
      const now = this.#clock.now();
      for (const [node, set] of this.#live) {
        for (const s of set) {
          if (now - s.lastSeen > timeout) {
            this.#log.info("node link silent; dropping it", { node });
            s.detach();
            s.conn.close(4008, "keepalive timeout");
          }
        }
        for (const p of this.#pending.get(node)?.values() ?? []) {
          if (now - p.sentAt >= resendMs) {
            p.sentAt = now;
            this.#resent++;
            for (const s of set) s.sendText(p.text);
          }
        }
      }
    }
  }
}

class LiveSession implements NodeSession {
  lastSeen: number;
  onDetach?: () => void;
  #detached = false;
  constructor(
    readonly links: NodeLinks,
    readonly node: string,
    readonly conn: NodeConn,
    now: number,
  ) {
    this.lastSeen = now;
  }
  receive(text: string): void {
    if (this.#detached) return;
    // Frames of one read arrive in one turn: handle them together.
    if (this.#inbox.push(text) === 1) queueMicrotask(this.#drain);
  }
  #inbox: string[] = [];
  #drain = () => {
    const batch = this.#inbox;
    this.#inbox = [];
    if (this.#detached) return;
    this.lastSeen = this.links.now();
    this.links._receiveBatch(this, batch);
  };
  sendText(text: string): void {
    if (this.#detached) return;
    try {
      this.conn.send(text);
    } catch {
      // closing; resent on the next session
    }
  }
  sendTexts(texts: readonly string[]): void {
    if (this.#detached) return;
    try {
      if (this.conn.sendMany) this.conn.sendMany(texts);
      else for (const t of texts) this.conn.send(t);
    } catch {
      // closing; resent on the next session
    }
  }
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.onDetach?.();
  }
}
