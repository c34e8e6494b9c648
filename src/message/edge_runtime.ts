/**
 * Our own messages on top of KubeEdge's format, all in route group
 * {@link EDGE_RUNTIME_GROUP}: the registration entries the hub pushes, and
 * batched ACKs.
 *
 * **Batched ACKs.** CloudHub's reliable delivery answers every message with
 * its own ACK message (`kubeedge.ts`). A node that announces
 * {@link ACK_BATCH_HEADER}`: batch` in its WebSocket handshake (or `"acks":
 * "batch"` in its QUIC hello) may instead receive one message per group of
 * messages the hub made durable together: operation `response`, resource
 * {@link ACK_BATCH_RESOURCE}, an empty `parent_msg_id`, content the list of
 * the ACKed `msg_id`s in order. A hub that does not know the header (a
 * KubeEdge cloudcore) ignores it and ACKs one by one, which the node reads
 * as before. One frame instead of hundreds is what lets one link carry tens
 * of thousands of messages per second.
 *
 * @example
 * ```ts
 * for (const text of encodeAckBatches(ids)) ws.send(text);
 * const acked = ackBatchParents(decodeMessage(text)); // ids, or undefined
 * ```
 * @module
 */
import { encodeMessage, type Message, newMessage } from "./message.ts";

/** Route group of our own messages (pushed entries, batched ACKs). */
export const EDGE_RUNTIME_GROUP = "edge-runtime";
/** Resource of the registration-entries message (hub → node). */
export const ENTRIES_RESOURCE = "entries";
/** Resource of a batched ACK (hub → node). */
export const ACK_BATCH_RESOURCE = "acks";
/** WebSocket handshake header by which a node asks for batched ACKs. */
export const ACK_BATCH_HEADER = "Edge-Runtime-Acks";
/** Its value (and the value of `acks` in the QUIC hello). */
export const ACK_BATCH = "batch";
/** Most UTF-16 units of ids in one batch message (well under 1 MiB). */
const MAX_BATCH_CHARS = 256 * 1024;

/**
 * The batched ACK messages (encoded) for `ids`, in order: one message, or
 * several when the ids would make one too large.
 */
export function encodeAckBatches(
  ids: readonly string[],
  options: { now?: number } = {},
): string[] {
  const out: string[] = [];
  let chunk: string[] = [];
  let chars = 0;
  const flush = () => {
    out.push(encodeMessage(
      newMessage(
        {
          source: "hub",
          group: EDGE_RUNTIME_GROUP,
          resource: ACK_BATCH_RESOURCE,
          operation: "response",
        },
        chunk,
        { now: options.now },
      ),
    ));
    chunk = [];
    chars = 0;
  };
  for (const id of ids) {
    if (chunk.length > 0 && chars + id.length > MAX_BATCH_CHARS) flush();
    chunk.push(id);
    chars += id.length + 3;
  }
  if (chunk.length > 0) flush();
  return out;
}

/**
 * The ACKed ids when `msg` is a batched ACK (content a list of non-empty
 * strings), else `undefined`.
 */
export function ackBatchParents(msg: Message): string[] | undefined {
  const r = msg.route;
  if (
    r.resource !== ACK_BATCH_RESOURCE || r.group !== EDGE_RUNTIME_GROUP ||
    r.operation !== "response" || !Array.isArray(msg.content)
  ) return undefined;
  const ids = msg.content as unknown[];
  for (const id of ids) {
    if (typeof id !== "string" || id === "") return undefined;
  }
  return ids as string[];
}
