/**
 * The local message API for workloads: a hono app on a Unix socket, callers
 * attested with the Workload API's attestor and entries. Publish upstream
 * (`POST /v1/messages`, 202 once durable) and receive (`GET /v1/messages`,
 * server-sent events). See `docs/hub-link.md`.
 *
 * @example
 * ```ts
 * const api = await startMessageApi({ socketPath, link, entries, logger });
 * link.onMessage = (m) => api.deliver(m);
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import type { Message } from "../message/mod.ts";
import {
  type EntryStore,
  matchEntries,
  UnixAttestor,
} from "../workloadapi/mod.ts";
import { createMessageApp } from "./app.ts";
import { serveUnixHttp } from "./server.ts";
import { Subscribers } from "./subscribers.ts";

export * from "./app.ts";
export * from "./server.ts";
export * from "./subscribers.ts";

/** Options of {@link startMessageApi}. */
export interface StartMessageApiOptions {
  socketPath: string;
  /** @default 0o666 */
  socketMode?: number;
  /** Where published messages go (the hub link). */
  publish(msg: Message): Promise<void>;
  /** Registration entries (the Workload API's store). */
  entries: EntryStore;
  /** @default a new UnixAttestor reading only the selector kinds entries use */
  attestor?: UnixAttestor;
  clock?: Clock;
  logger?: Logger;
}

/** A running message API. */
export interface MessageApi {
  /** Hand a hub message to its subscriber(s) (the hub link's `onMessage`). */
  deliver(msg: Message): boolean;
  status(): { connections: number; subscriptions: number };
  close(): Promise<void>;
}

/** Start the message API. */
export async function startMessageApi(
  o: StartMessageApiOptions,
): Promise<MessageApi> {
  const logger = (o.logger ?? nullLogger).child({ part: "messageapi" });
  const subscribers = new Subscribers({ logger });
  const attestor = o.attestor ?? new UnixAttestor({
    wantedKinds: () =>
      new Set(
        o.entries.list().flatMap((e) =>
          e.parsedSelectors.map((s) => `${s.type}:${s.key}`)
        ),
      ),
  });
  const app = createMessageApp({
    publish: o.publish,
    idsFor: (selectors) => [
      ...new Set(
        matchEntries(o.entries.list(), new Set(selectors)).map((e) =>
          e.spiffeId
        ),
      ),
    ],
    subscribers,
    clock: o.clock ?? systemClock,
  });
  const server = await serveUnixHttp({
    socketPath: o.socketPath,
    socketMode: o.socketMode,
    attestor,
    fetch: (req, env) => app.fetch(req, env),
    logger,
  });
  logger.info("message API listening", { socketPath: o.socketPath });
  return {
    deliver: (msg) => subscribers.deliver(msg),
    status: () => ({
      connections: server.connections,
      subscriptions: subscribers.count,
    }),
    close: () => server.close(),
  };
}
