/**
 * The hub-link message model shared by the runtime's link (src/hub) and the
 * hub (src/hubserver): KubeEdge JSON messages, ACK/keepalive conventions,
 * our own messages (pushed entries, batched ACKs) and length-prefixed
 * framing.
 * @module
 */
export * from "./message.ts";
export * from "./kubeedge.ts";
export * from "./frame.ts";
export * from "./edge_runtime.ts";
