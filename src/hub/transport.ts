/**
 * The one interface every hub-link transport implements (WebSocket, QUIC),
 * so the link manager never knows which one it drives; both run the same
 * contract suite (`tests/hublink/transport_contract_test.ts`).
 *
 * @example
 * ```ts
 * const conn = await transport.connect(credentials, { onMessage: (m) => … });
 * conn.send(msg);
 * const why = await conn.closed;
 * ```
 * @module
 */
import {
  ackBatchParents,
  canonicalAckParent,
  decodeMessage,
  isAck,
  type Message,
} from "../message/mod.ts";

/** Transport names as in `hub.transport`. */
export type TransportKind = "websocket" | "quic";

/** The node's TLS credentials, PEM (from the node identity). */
export interface LinkCredentials {
  /** PKCS#8 private key (secret: never logged). */
  keyPem: string;
  /** Certificate chain, leaf first. */
  certPem: string;
  /** Trust bundle used to verify the hub. */
  caPem: string;
}

/** Why a connection ended. */
export interface CloseInfo {
  /** WebSocket close code (QUIC: application error code). */
  code: number;
  reason: string;
}

/** Callbacks of one connection. */
export interface ConnectionHandlers {
  /** Every decoded message from the hub other than ACKs, in order. */
  onMessage(msg: Message): void;
  /**
   * The id of each message the hub ACKed, from an ACK message (CloudHub) or
   * a batched ACK (`src/message/edge_runtime.ts`).
   */
  onAck(msgId: string): void;
  /** A frame that was not a valid message (logged; the link goes on). */
  onInvalid?(error: Error): void;
}

/** One live connection to the hub. */
export interface HubConnection {
  readonly transport: TransportKind;
  /** Send one message. Throws `LINK_CLOSED` once closed. */
  send(msg: Message): void;
  /**
   * Send one message already encoded with `encodeMessage` (the outbox keeps
   * the text it made durable, so it is not encoded twice). Throws
   * `LINK_CLOSED` once closed.
   */
  sendText(text: string): void;
  /** Bytes queued for sending (for back-pressure). */
  readonly bufferedAmount: number;
  /** Resolves once when the connection has ended, for any reason. */
  readonly closed: Promise<CloseInfo>;
  /** Close (idempotent). */
  close(reason?: string): void;
}

/** A way to reach the hub. */
export interface HubTransport {
  readonly kind: TransportKind;
  /**
   * Open an authenticated connection. Rejects with `LINK_CLOSED` when the hub
   * cannot be reached or refuses the node (`LINK_AUTH_FAILED` when the
   * transport can tell that authentication failed).
   */
  connect(
    credentials: LinkCredentials,
    handlers: ConnectionHandlers,
    signal?: AbortSignal,
  ): Promise<HubConnection>;
}

/**
 * Hand one received text frame to `handlers`: the ids an ACK or a batched
 * ACK acknowledges to `onAck` (a canonical ACK is read without decoding the
 * message), any other valid message to `onMessage`, an invalid one to
 * `onInvalid`.
 */
export function deliverText(
  text: string,
  handlers: ConnectionHandlers,
  maxBytes?: number,
): void {
  const parent = canonicalAckParent(text, maxBytes);
  if (parent !== undefined) return handlers.onAck(parent);
  let msg: Message;
  try {
    msg = decodeMessage(text, { maxBytes });
  } catch (err) {
    handlers.onInvalid?.(err as Error);
    return;
  }
  if (isAck(msg)) return handlers.onAck(msg.header.parent_msg_id);
  const batch = ackBatchParents(msg);
  if (batch === undefined) return handlers.onMessage(msg);
  for (const id of batch) handlers.onAck(id);
}
