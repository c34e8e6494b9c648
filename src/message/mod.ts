/**
 * The hub-link message model shared by the runtime's link (src/hub) and the
 * hub (src/hubserver): KubeEdge JSON messages, ACK/keepalive conventions,
 * and length-prefixed framing.
 * @module
 */
export * from "./message.ts";
export * from "./kubeedge.ts";
export * from "./frame.ts";
