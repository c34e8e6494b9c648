/**
 * Byte helpers shared across modules: hex, base64, base64url, concat,
 * constant-time-ish compare, hex SHA-256.
 * @module
 */
import { sha256 } from "./digest.ts";

const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** Bytes of an even-length hex string; throws `TypeError` on bad input. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`Expected an even-length hex string, got "${hex}"`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/**
 * The base64 methods of `Uint8Array` (TC39, in V8): native, and unlike
 * `atob`/`btoa` they load no script of Deno's on first use (start-up).
 */
const Base64 = Uint8Array as unknown as {
  fromBase64(text: string): Uint8Array;
};
type WithBase64 = Uint8Array & { toBase64(): string };

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return (bytes as WithBase64).toBase64();
}

/** Bytes of standard base64; throws `SyntaxError` when malformed. */
export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new SyntaxError("Invalid base64");
  }
  return Base64.fromBase64(text);
}

/** base64url (no padding) → bytes. */
export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/** bytes → base64url (no padding). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Concatenation of `parts`. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A fresh `Uint8Array` over a copy of `data` (ArrayBuffer or view). */
export function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  );
}

/** Lowercase hex SHA-256 of `data` (`toHex(sha256(data))`, kept async for its callers). */
// deno-lint-ignore require-await -- async so that errors arrive as rejections
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(sha256(data));
}

/** Serial hex normalised for comparison: lowercase, no leading zeros. */
export function normalizeSerialHex(serialHex: string): string {
  const s = serialHex.replace(/:/g, "").toLowerCase().replace(/^0+/, "");
  return s === "" ? "0" : s;
}
