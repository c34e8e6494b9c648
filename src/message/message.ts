/**
 * The one message type of every hub transport: KubeEdge's JSON model
 * (`header`, `route`, `content`), so a CloudHub-compatible peer reads ours
 * and we read theirs. Pure: building, validating, encoding, decoding.
 *
 * @example
 * ```ts
 * const msg = newMessage({ source: "edged", group: "user", operation: "publish", resource: "telemetry" }, { t: 21.5 });
 * const text = encodeMessage(msg);
 * decodeMessage(text).route.resource; // "telemetry"
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";

/** Message header (KubeEdge beehive `MessageHeader`). */
export interface MessageHeader {
  /** Unique id (UUID). */
  msg_id: string;
  /** The id this message answers (ACKs, responses); "" otherwise. */
  parent_msg_id: string;
  /** Creation time, Unix milliseconds. */
  timestamp: number;
  /** Resource version of the object carried, for de-duplication. */
  resourceversion: string;
  /** True for a synchronous request expecting a response. */
  sync: boolean;
  /** Free-form message type. */
  type: string;
}

/** Where a message goes (KubeEdge `MessageRoute`; the JSON key is `route`). */
export interface MessageRoute {
  source: string;
  destination: string;
  group: string;
  operation: string;
  resource: string;
}

/** A hub-link message. `content` is any JSON value. */
export interface Message {
  header: MessageHeader;
  route: MessageRoute;
  content: unknown;
}

/** Largest encoded message accepted by default (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Options when building messages. */
export interface NewMessageOptions {
  /** @default crypto.randomUUID() */
  id?: string;
  /** @default Date.now() */
  now?: number;
  parentId?: string;
  resourceVersion?: string;
  sync?: boolean;
  type?: string;
}

/** Build a message with a fresh id and timestamp. */
export function newMessage(
  route: Partial<MessageRoute> & Pick<MessageRoute, "operation">,
  content: unknown,
  options: NewMessageOptions = {},
): Message {
  return {
    header: {
      msg_id: options.id ?? crypto.randomUUID(),
      parent_msg_id: options.parentId ?? "",
      timestamp: options.now ?? Date.now(),
      resourceversion: options.resourceVersion ?? "",
      sync: options.sync ?? false,
      type: options.type ?? "",
    },
    route: {
      source: route.source ?? "",
      destination: route.destination ?? "",
      group: route.group ?? "",
      operation: route.operation,
      resource: route.resource ?? "",
    },
    content,
  };
}

/** Strings JSON writes as they are between quotes (no escapes needed). */
// deno-lint-ignore no-control-regex -- control characters are what JSON escapes
const VERBATIM = /^[^"\\\x00-\x1f\ud800-\udfff]*$/;

/**
 * Encode as one JSON text (one WebSocket frame / one QUIC frame):
 * `JSON.stringify(msg)`, with the header and route written from a template
 * when none of their strings needs escaping (the common case; the same text,
 * without walking the objects).
 */
export function encodeMessage(msg: Message): string {
  const h = msg.header;
  const r = msg.route;
  if (
    msg.content === undefined || !Number.isFinite(h.timestamp) ||
    typeof h.sync !== "boolean" ||
    !VERBATIM.test(h.msg_id) || !VERBATIM.test(h.parent_msg_id) ||
    !VERBATIM.test(h.resourceversion) || !VERBATIM.test(h.type) ||
    !VERBATIM.test(r.source) || !VERBATIM.test(r.destination) ||
    !VERBATIM.test(r.group) || !VERBATIM.test(r.operation) ||
    !VERBATIM.test(r.resource)
  ) return JSON.stringify(msg);
  return `{"header":{"msg_id":"${h.msg_id}","parent_msg_id":"${h.parent_msg_id}","timestamp":${h.timestamp},"resourceversion":"${h.resourceversion}","sync":${h.sync},"type":"${h.type}"},"route":{"source":"${r.source}","destination":"${r.destination}","group":"${r.group}","operation":"${r.operation}","resource":"${r.resource}"},"content":${
    JSON.stringify(msg.content)
  }}`;
}

/**
 * A message exactly as {@link encodeMessage}, our hub and Go's
 * encoding/json write it — header and route strings verbatim (no escapes),
 * timestamp a safe integer — read with one match and `JSON.parse` of the
 * content alone (the same result: every field is what the validator
 * accepts, and the text is valid JSON when the content is). Anything else,
 * or content that does not parse alone, takes the full path.
 */
const STR = String.raw`[^"\\\x00-\x1f]`;
const CANONICAL = new RegExp(
  String.raw`^\{"header":\{"msg_id":"(${STR}+)","parent_msg_id":"(${STR}*)",` +
    String.raw`"timestamp":(0|[1-9]\d{0,14}),"resourceversion":"(${STR}*)",` +
    String.raw`"sync":(true|false),"type":"(${STR}*)"\},"route":\{` +
    String
      .raw`"source":"(${STR}*)","destination":"(${STR}*)","group":"(${STR}*)",` +
    String
      .raw`"operation":"(${STR}+)","resource":"(${STR}*)"\},"content":(.*)\}$`,
  "s",
);

/**
 * A canonical text (see {@link CANONICAL}) of an ACK: operation "response",
 * content "OK", a parent id.
 */
const CANONICAL_ACK = new RegExp(
  String.raw`^\{"header":\{"msg_id":"${STR}+","parent_msg_id":"(${STR}+)",` +
    String.raw`"timestamp":(?:0|[1-9]\d{0,14}),"resourceversion":"${STR}*",` +
    String.raw`"sync":(?:true|false),"type":"${STR}*"\},"route":\{` +
    String.raw`"source":"${STR}*","destination":"${STR}*","group":"${STR}*",` +
    String.raw`"operation":"response","resource":"${STR}*"\},"content":"OK"\}$`,
);

/**
 * The `parent_msg_id` of `text` when it is an ACK written the canonical way
 * (as our hub, {@link encodeMessage} and Go write it), read with one match
 * and without building the message; `undefined` for anything else, which
 * {@link decodeMessage} reads in full. Whenever this returns an id,
 * `decodeMessage(text)` is an ACK (`isAck`) of that parent.
 */
export function canonicalAckParent(
  text: string,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): string | undefined {
  if (tooLarge(text, maxBytes)) return undefined;
  return CANONICAL_ACK.exec(text)?.[1];
}

/** True when `text` is more than `max` bytes of UTF-8. */
function tooLarge(text: string, max: number): boolean {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: only measure when it could matter.
  return text.length > max ||
    (text.length * 3 > max && new TextEncoder().encode(text).byteLength > max);
}

function canonical(text: string): Message | undefined {
  const m = CANONICAL.exec(text);
  if (m === null) return undefined;
  let content: unknown;
  try {
    content = m[12] === '"OK"' ? "OK" : JSON.parse(m[12]);
  } catch {
    return undefined;
  }
  return {
    header: {
      msg_id: m[1],
      parent_msg_id: m[2],
      timestamp: Number(m[3]),
      resourceversion: m[4],
      sync: m[5] === "true",
      type: m[6],
    },
    route: {
      source: m[7],
      destination: m[8],
      group: m[9],
      operation: m[10],
      resource: m[11],
    },
    content,
  };
}

const HEADER_STRINGS = [
  "msg_id",
  "parent_msg_id",
  "resourceversion",
  "type",
] as const;
const ROUTE_STRINGS = [
  "source",
  "destination",
  "group",
  "operation",
  "resource",
] as const;

/**
 * Decode and validate one message. Missing optional header fields take
 * KubeEdge's zero values; every problem is reported with its field path.
 * @throws EdgeError `MESSAGE_INVALID`
 */
export function decodeMessage(
  text: string,
  options: { maxBytes?: number } = {},
): Message {
  const max = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (tooLarge(text, max)) {
    throw invalid([`message: expected at most ${max} bytes`]);
  }
  const fast = canonical(text);
  if (fast) return fast;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid(["message: expected JSON"]);
  }
  return validateMessage(raw);
}

/** Validate an already parsed value as a {@link Message}. */
export function validateMessage(raw: unknown): Message {
  const errors: string[] = [];
  if (!isObject(raw)) {
    throw invalid([`message: expected an object, got ${kind(raw)}`]);
  }
  const h = raw.header ?? {};
  const r = raw.route;
  if (!isObject(h)) errors.push(`header: expected an object, got ${kind(h)}`);
  if (!isObject(r)) errors.push(`route: expected an object, got ${kind(r)}`);
  if (errors.length) throw invalid(errors);
  const header = h as Record<string, unknown>;
  const route = r as Record<string, unknown>;
  for (const k of HEADER_STRINGS) {
    const v = header[k] ?? "";
    if (typeof v !== "string") {
      errors.push(`header.${k}: expected a string, got ${kind(v)}`);
    }
  }
  if (header.msg_id === undefined || header.msg_id === "") {
    errors.push("header.msg_id: expected a non-empty string");
  }
  const ts = header.timestamp ?? 0;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) {
    errors.push(
      `header.timestamp: expected Unix milliseconds, got ${kind(ts)}`,
    );
  }
  const sync = header.sync ?? false;
  if (typeof sync !== "boolean") {
    errors.push(`header.sync: expected true or false, got ${kind(sync)}`);
  }
  for (const k of ROUTE_STRINGS) {
    const v = route[k] ?? "";
    if (typeof v !== "string") {
      errors.push(`route.${k}: expected a string, got ${kind(v)}`);
    }
  }
  if (!route.operation) {
    errors.push("route.operation: expected a non-empty string");
  }
  if (errors.length) throw invalid(errors);
  return {
    header: {
      msg_id: header.msg_id as string,
      parent_msg_id: (header.parent_msg_id ?? "") as string,
      timestamp: ts as number,
      resourceversion: (header.resourceversion ?? "") as string,
      sync: sync as boolean,
      type: (header.type ?? "") as string,
    },
    route: {
      source: (route.source ?? "") as string,
      destination: (route.destination ?? "") as string,
      group: (route.group ?? "") as string,
      operation: route.operation as string,
      resource: (route.resource ?? "") as string,
    },
    content: raw.content ?? null,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") {
    return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  }
  if (typeof v === "object") return "an object";
  return String(v);
}

function invalid(errors: string[]): EdgeError {
  return new EdgeError(
    "MESSAGE_INVALID",
    `invalid message: ${errors.join("; ")}`,
  );
}
