/**
 * The KubeEdge CloudHub conventions on top of {@link Message}: keepalive,
 * ACKs, the control operations answered with "ack", and de-duplication keys.
 * Facts: shared/reference/kubeedge.md.
 * @module
 */
import { type Message, newMessage, type NewMessageOptions } from "./message.ts";

/** Default KubeEdge project ID used in the WebSocket URL and headers. */
export const DEFAULT_PROJECT_ID = "e632aba927ea4ac2b575ec1603d56f10";

/** Operations the cloud answers with content "ack". */
export const CONTROL_OPERATIONS: ReadonlySet<string> = new Set([
  "config",
  "ping",
  "pong",
]);

/** The edge's keepalive: source websocket, group resource, resource node, operation keepalive, content "ping". */
export function keepaliveMessage(options: NewMessageOptions = {}): Message {
  return newMessage(
    {
      source: "websocket",
      group: "resource",
      resource: "node",
      operation: "keepalive",
    },
    "ping",
    options,
  );
}

/** True for a KubeEdge keepalive. */
export function isKeepalive(msg: Message): boolean {
  return msg.route.operation === "keepalive";
}

/**
 * The ACK for `original`: a new message whose parent_msg_id is the
 * original msg_id, same source/group/resource, operation "response",
 * content "OK".
 */
export function ackFor(
  original: Message,
  options: NewMessageOptions = {},
): Message {
  return responseTo(original, "OK", options);
}

/**
 * `encodeMessage(ackFor(original, options))`, the same text, built without
 * the intermediate object (the hub encodes one ACK per node message; the
 * route part is reused while it stays the same).
 */
export function encodeAck(
  original: Message,
  options: Pick<NewMessageOptions, "id" | "now"> = {},
): string {
  const { source, group, resource } = original.route;
  const r = lastRoute;
  if (
    r === undefined || r.source !== source || r.group !== group ||
    r.resource !== resource
  ) {
    lastRoute = {
      source,
      group,
      resource,
      json: `"route":{"source":${JSON.stringify(source)},"destination":"",` +
        `"group":${JSON.stringify(group)},"operation":"response",` +
        `"resource":${JSON.stringify(resource)}},"content":"OK"}`,
    };
  }
  const parent = original.header.msg_id;
  return `{"header":{"msg_id":${
    JSON.stringify(options.id ?? crypto.randomUUID())
  },"parent_msg_id":${
    PLAIN.test(parent) ? `"${parent}"` : JSON.stringify(parent)
  },"timestamp":${
    options.now ?? Date.now()
  },"resourceversion":"","sync":false,"type":""},${lastRoute!.json}`;
}

/** Strings JSON encodes as they are, between quotes. */
const PLAIN = /^[\w.:~-]*$/;
let lastRoute:
  | { source: string; group: string; resource: string; json: string }
  | undefined;

/** True when `msg` is an ACK ("response" with content "OK" and a parent). */
export function isAck(msg: Message): boolean {
  return msg.route.operation === "response" && msg.content === "OK" &&
    msg.header.parent_msg_id !== "";
}

/** The answer to a control operation (config/ping/pong): content "ack". */
export function controlAnswer(
  original: Message,
  options: NewMessageOptions = {},
): Message {
  return responseTo(original, "ack", options);
}

/** A "response" to `original` (same source/group/resource) carrying `content`. */
function responseTo(
  original: Message,
  content: string,
  options: NewMessageOptions,
): Message {
  return newMessage(
    {
      source: original.route.source,
      group: original.route.group,
      resource: original.route.resource,
      operation: "response",
    },
    content,
    { ...options, parentId: original.header.msg_id },
  );
}

/**
 * De-duplication key by resource + resourceversion (KubeEdge dedupes by
 * object UID and resource version); undefined when the message has no
 * resource version.
 */
export function resourceVersionKey(msg: Message): string | undefined {
  return msg.header.resourceversion
    ? `${msg.route.resource}@${msg.header.resourceversion}`
    : undefined;
}
