/**
 * The hub link manager: one authenticated connection to the hub, kept up
 * with exponential backoff and full jitter, re-established with the new
 * certificate after every rotation, carrying the durable outbox upstream and
 * de-duplicated messages downstream.
 *
 * Transports (`hub.transport`): `websocket`, `quic`, or `auto` = QUIC first;
 * when it fails, WebSocket at once (no backoff between the two); while on
 * WebSocket, QUIC is tried again every {@link HubLinkOptions.preferredRetryMs}
 * and the link moves over when it answers (the hub closes the older session;
 * the outbox resends whatever was not ACKed, so nothing is lost or reordered).
 *
 * Upstream: {@link HubLink.publish} resolves once the message is durable in
 * the outbox; the link sends queued messages in order, removes them on the
 * hub's ACK and sends the rest again after each reconnect.
 * Downstream: ACKs remove outbox entries; `config`/`ping`/`pong` are
 * answered "ack"; registration entries (`group edge-runtime`, `resource
 * entries`) go to `onEntries`; everything else to `onMessage` — each once
 * (durable inbox), then ACKed.
 *
 * @example
 * ```ts
 * const link = await startHubLink({ config, identity: events, store, logger });
 * await link.publish(newMessage({ operation: "publish", resource: "t" }, 1));
 * await link.close();
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import type { EdgeConfig } from "../config/mod.ts";
import { EdgeError } from "../errors.ts";
import { identityPem, type IdentitySource } from "../identity/mod.ts";
import type { NodeIdentity } from "../identity/state.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  ackFor,
  CONTROL_OPERATIONS,
  controlAnswer,
  EDGE_RUNTIME_GROUP,
  ENTRIES_RESOURCE,
  isKeepalive,
  keepaliveMessage,
  type Message,
} from "../message/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import type { Store } from "../store/mod.ts";
import { reconnectDelay } from "./backoff.ts";
import { Inbox } from "./inbox.ts";
import { Outbox, type OutboxEntry, type OutboxStatus } from "./outbox.ts";
import type {
  HubConnection,
  HubTransport,
  TransportKind,
} from "./transport.ts";
import { createWebSocketTransport } from "./websocket.ts";
import { createQuicTransport } from "./quic.ts";

/** Pause sending while this many bytes wait in the socket. */
const HIGH_WATER_BYTES = 8 << 20;

/** A registration entry as pushed by the hub (Workload API's EntryInput). */
export interface PushedEntry {
  id?: string;
  spiffeId: string;
  selectors: string[];
  ttlMs?: number;
  dnsNames?: string[];
  hint?: string;
}

/** Options of {@link startHubLink}. */
export interface HubLinkOptions {
  /** The validated edge configuration (`node.name`, `hub.*`). */
  config: EdgeConfig;
  /** The node identity; the link follows its changes. */
  identity: IdentitySource;
  /** The state store (outbox and inbox files live in its directory). */
  store: Store;
  /** @default nullLogger */
  logger?: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** Jitter source. @default secureRandom */
  random?: Random;
  /** Registration entries pushed by the hub (→ `EntryStore.replace("hub", …)`). */
  onEntries?: (entries: PushedEntry[]) => void | Promise<void>;
  /** Other messages from the hub (→ the message API); ACKed after it resolves. */
  onMessage?: (msg: Message) => void | Promise<void>;
  /** Transports to use, preferred first, instead of those from the config (tests). */
  transports?: HubTransport[];
  /**
   * While connected over a fallback transport (`auto`: WebSocket), try the
   * preferred one (QUIC) again after this long. @default 60000
   */
  preferredRetryMs?: number;
}

/** Link state for status. */
export interface HubLinkStatus {
  state:
    | "waiting-for-identity"
    | "connecting"
    | "connected"
    | "backoff"
    | "stopped";
  transport?: TransportKind;
  /** ISO time the current connection was established. */
  connectedSince?: string;
  /** Connections established since start. */
  connections: number;
  lastError?: string;
  outbox: OutboxStatus;
}

/** The running link. */
export interface HubLink {
  /** Queue `msg` for the hub; resolves once durable. `OUTBOX_FULL` when full. */
  publish(msg: Message): Promise<void>;
  /** The durable outbox. */
  readonly outbox: Outbox;
  status(): HubLinkStatus;
  /** Stop, flush the outbox and inbox files. */
  close(): Promise<void>;
}

/** Build the transports the config asks for, preferred first. */
export function transportsFromConfig(config: EdgeConfig): HubTransport[] {
  const ws = () =>
    createWebSocketTransport({
      server: config.hub.websocketServer,
      nodeName: config.node.name,
      projectId: config.hub.projectId,
    });
  const quic = () =>
    createQuicTransport({
      server: config.hub.quicServer,
      nodeName: config.node.name,
    });
  switch (config.hub.transport) {
    case "websocket":
      return [ws()];
    case "quic":
      return [quic()];
    case "auto":
      return [quic(), ws()];
    default:
      throw new EdgeError(
        "CONFIG_INVALID",
        `hub.transport: expected websocket, quic or auto, got "${config.hub.transport}"`,
      );
  }
}

/** Start the hub link. */
export async function startHubLink(options: HubLinkOptions): Promise<HubLink> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const log = (options.logger ?? nullLogger).child({ component: "hublink" });
  const { hub } = options.config;
  const transports = options.transports ?? transportsFromConfig(options.config);
  const outbox = await Outbox.open(options.store, {
    maxMessages: hub.outbox.maxMessages,
    logger: log,
  });
  const inbox = await Inbox.open(options.store, { logger: log });
  const stop = new AbortController();
  let state: HubLinkStatus["state"] = "waiting-for-identity";
  let conn: HubConnection | undefined;
  let connectedSince: number | undefined;
  let connections = 0;
  let lastError: string | undefined;
  let rotate = new AbortController();
  let usedSerial: string | undefined;
  let identityChanged = Promise.withResolvers<void>();

  const unwatch = options.identity.watch((id: NodeIdentity) => {
    identityChanged.resolve();
    identityChanged = Promise.withResolvers<void>();
    if (usedSerial !== undefined && id.leaf.serialHex !== usedSerial) {
      log.info("node certificate changed; reconnecting with it", {
        serial: id.leaf.serialHex,
      });
      rotate.abort();
    }
  });

  // Downstream handling, one message at a time, in order.
  let chain = Promise.resolve();
  const handle = (c: HubConnection, msg: Message) => {
    if (isKeepalive(msg) || msg.route.operation === "response") return;
    if (CONTROL_OPERATIONS.has(msg.route.operation)) {
      trySend(c, controlAnswer(msg, { now: clock.now() }));
      return;
    }
    chain = chain.then(async () => {
      if (!inbox.isDuplicate(msg)) {
        try {
          if (
            msg.route.group === EDGE_RUNTIME_GROUP &&
            msg.route.resource === ENTRIES_RESOURCE
          ) {
            const entries = (msg.content as { entries?: PushedEntry[] })
              ?.entries;
            if (!Array.isArray(entries)) {
              throw new Error("entries message without an entries list");
            }
            await options.onEntries?.(entries);
          } else {
            await options.onMessage?.(msg);
          }
        } catch (err) {
          // Not ACKed: the hub sends it again.
          log.warn("message from the hub not handled", {
            msgId: msg.header.msg_id,
            resource: msg.route.resource,
            error: String(err),
          });
          return;
        }
        await inbox.record(msg);
      }
      trySend(c, ackFor(msg, { now: clock.now() }));
    });
  };

  const trySend = (c: HubConnection, msg: Message) => {
    try {
      c.send(msg);
    } catch {
      // closed: the hub resends
    }
  };

  // Upstream pump: send queued messages in order, once per connection:
  // everything queued when the connection starts, then each durable group
  // as the outbox takes it in. Synchronous unless the socket is backed up.
  const runConnection = async (c: HubConnection, signal: AbortSignal) => {
    const todo: (readonly OutboxEntry[])[] = [outbox.entries()];
    let pumping = false;
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      try {
        for (let chunk; (chunk = todo.shift()) !== undefined;) {
          for (const e of chunk) {
            if (signal.aborted) return;
            if (c.bufferedAmount > HIGH_WATER_BYTES) {
              while (c.bufferedAmount > HIGH_WATER_BYTES && !signal.aborted) {
                await clock.sleep(2);
              }
              if (signal.aborted) return;
            }
            // ACKed meanwhile (sent on an earlier connection): skip it.
            if (e.state === 1) c.sendText(e.text);
          }
        }
      } catch {
        // closed mid-pump; the next connection starts over
      } finally {
        pumping = false;
      }
    };
    const unwatchOutbox = outbox.watch((added) => {
      todo.push(added);
      void pump();
    });
    const keepalive = (async () => {
      while (!signal.aborted) {
        await clock.sleep(hub.heartbeat, signal).catch(() => {});
        if (!signal.aborted) trySend(c, keepaliveMessage({ now: clock.now() }));
      }
    })();
    void pump();
    const onAbort = () => c.close("link restarting");
    signal.addEventListener("abort", onAbort, { once: true });
    const info = await c.closed;
    signal.removeEventListener("abort", onAbort);
    unwatchOutbox();
    return { info, keepalive };
  };

  const connectWith = (
    transport: HubTransport,
    pem: Awaited<ReturnType<typeof identityPem>>,
    signal: AbortSignal,
  ): Promise<HubConnection> => {
    let c: HubConnection | undefined;
    const early: Message[] = [];
    return transport.connect(pem, {
      // Messages that arrive before connect resolves wait for the handle.
      onMessage: (m) => c ? handle(c, m) : early.push(m),
      onAck: (parentId) => outbox.ack(parentId),
      onInvalid: (err) =>
        log.warn("invalid message from the hub", { error: err.message }),
    }, signal).then((conn) => {
      c = conn;
      for (const m of early.splice(0)) handle(conn, m);
      return conn;
    });
  };

  // The backoff ceiling grows with the time the hub has been unreachable
  // (see backoff.ts): a hub back within 3 × initialDelay is reached within
  // 2 × initialDelay of listening, however many attempts were refused.
  let downSince = clock.now();
  const backoff = () =>
    reconnectDelay(clock.now() - downSince, {
      baseMs: hub.reconnect.initialDelay,
      capMs: hub.reconnect.maxDelay,
    }, random);
  /** A connection of the preferred transport, opened while on a fallback. */
  const moved: { conn?: HubConnection } = {};
  const takeMoved = (): HubConnection | undefined => {
    const c = moved.conn;
    moved.conn = undefined;
    return c;
  };

  // While on a fallback transport, try the preferred one again now and then.
  const probePreferred = async (
    current: HubConnection,
    pem: Awaited<ReturnType<typeof identityPem>>,
    signal: AbortSignal,
  ) => {
    const every = options.preferredRetryMs ?? 60_000;
    while (!signal.aborted) {
      await clock.sleep(every, signal).catch(() => {});
      if (signal.aborted) return;
      try {
        const p = await connectWith(transports[0], pem, signal);
        if (signal.aborted) return p.close("link restarting");
        moved.conn = p;
        log.info("hub link: moving to the preferred transport", {
          transport: p.transport,
        });
        current.close(`moving to ${p.transport}`);
        return;
      } catch (err) {
        log.debug("hub link: preferred transport still unavailable", {
          transport: transports[0].kind,
          error: (err as Error).message,
        });
      }
    }
  };

  const loop = async () => {
    while (!stop.signal.aborted) {
      const id = options.identity.current();
      if (!id) {
        state = "waiting-for-identity";
        await Promise.race([identityChanged.promise, aborted(stop.signal)]);
        continue;
      }
      rotate = new AbortController();
      usedSerial = id.leaf.serialHex;
      const signal = AbortSignal.any([stop.signal, rotate.signal]);
      const pem = await identityPem(id);
      let c = takeMoved();
      let index = 0;
      // One round: each transport in order, no wait between them.
      for (let t = 0; !c && t < transports.length; t++) {
        state = "connecting";
        try {
          c = await connectWith(transports[t], pem, signal);
          index = t;
        } catch (err) {
          lastError = (err as Error).message;
          log.debug("hub link: connect failed", {
            transport: transports[t].kind,
            error: lastError,
          });
          if (signal.aborted) break;
        }
      }
      if (stop.signal.aborted) {
        c?.close("runtime stopping");
        break;
      }
      if (!c) {
        if (rotate.signal.aborted) continue;
        const delay = backoff();
        state = "backoff";
        log.debug("hub link: retrying", { retryInMs: delay });
        await clock.sleep(delay, signal).catch(() => {});
        continue;
      }
      conn = c;
      connections++;
      connectedSince = clock.now();
      state = "connected";
      log.info("hub link up", { transport: c.transport });
      const connSignal = new AbortController();
      if (index > 0) {
        void probePreferred(
          c,
          pem,
          AbortSignal.any([signal, connSignal.signal]),
        );
      }
      const { info } = await runConnection(c, signal);
      connSignal.abort();
      conn = undefined;
      connectedSince = undefined;
      downSince = clock.now();
      if (stop.signal.aborted) break;
      lastError = `closed: ${info.code} ${info.reason}`.trim();
      log.info("hub link down", { code: info.code, reason: info.reason });
      if (rotate.signal.aborted) {
        takeMoved()?.close("link restarting");
        continue;
      }
      const next = takeMoved();
      if (next) {
        moved.conn = next; // move over at once
        continue;
      }
      const delay = backoff();
      state = "backoff";
      await clock.sleep(delay, signal).catch(() => {});
    }
    takeMoved()?.close("runtime stopping");
    state = "stopped";
  };
  const running = loop().catch((err) => {
    log.error("hub link stopped unexpectedly", { error: String(err) });
  });

  return {
    outbox,
    publish: (msg) => outbox.put(msg),
    status: () => ({
      state,
      transport: conn?.transport,
      connectedSince: connectedSince === undefined
        ? undefined
        : new Date(connectedSince).toISOString(),
      connections,
      lastError,
      outbox: outbox.status(),
    }),
    async close() {
      if (stop.signal.aborted) return;
      unwatch();
      stop.abort();
      conn?.close("runtime stopping");
      await running;
      await chain.catch(() => {});
      await outbox.close();
      await inbox.close();
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
