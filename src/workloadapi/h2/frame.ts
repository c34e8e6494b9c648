/**
 * HTTP/2 frames (RFC 9113 §4, §6): types, flags, settings, error codes,
 * and the byte layout of the frames a server sends.
 * @module
 */

/** Frame types. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameters. */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** Error codes (RST_STREAM, GOAWAY). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/** Frame header length. */
export const HEADER_LENGTH = 9;

/** Largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** A frame: 9-byte header + payload, in one buffer. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + payload.length);
  const n = payload.length;
  out[0] = n >>> 16;
  out[1] = (n >>> 8) & 0xff;
  out[2] = n & 0xff;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, streamId & MAX_WINDOW);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** A SETTINGS frame carrying `values` ([id, value] pairs). */
export function settingsFrame(values: [number, number][]): Uint8Array {
  const p = new Uint8Array(values.length * 6);
  const v = new DataView(p.buffer);
  values.forEach(([id, value], i) => {
    v.setUint16(i * 6, id);
    v.setUint32(i * 6 + 2, value);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

/** A payload of 32-bit big-endian words. */
export function u32s(...words: number[]): Uint8Array {
  const p = new Uint8Array(words.length * 4);
  const v = new DataView(p.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w));
  return p;
}
