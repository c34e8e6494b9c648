/**
 * Encoding of one unit file (pure, no I/O). Layout, all integers big-endian:
 *
 * ```
 * "EDGEUNIT"            8 bytes  magic
 * version               u16      = 1
 * name length, name     u16 + UTF-8   the unit's own name
 * member count          u32
 * per member, sorted by name:
 *   name length, name   u16 + UTF-8
 *   data length, data   u32 + bytes
 * SHA-256               32 bytes over everything before it
 * ```
 * @module
 */
import { sha256 } from "../digest.ts";
import { assertName } from "./_names.ts";

const MAGIC = new TextEncoder().encode("EDGEUNIT");
const VERSION = 1;
const DIGEST_LENGTH = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The members of a unit: member name → bytes. */
export type Members = Record<string, Uint8Array>;

/** A unit file that cannot be decoded; `message` says why. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FormatError";
  }
}

/** Encode `members` of unit `name` into the bytes of one unit file. */
// deno-lint-ignore require-await -- async so that errors arrive as rejections
export async function encodeUnit(
  name: string,
  members: Members,
): Promise<Uint8Array> {
  assertName(name, "unit name");
  const names = Object.keys(members).sort();
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(4);
  const view = new DataView(head.buffer);
  const u16 = (n: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n);
    return b;
  };
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return b;
  };
  const nameBytes = encoder.encode(name);
  parts.push(MAGIC, u16(VERSION), u16(nameBytes.length), nameBytes);
  view.setUint32(0, names.length);
  parts.push(head);
  for (const member of names) {
    assertName(member, "member name");
    const data = members[member];
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(
        `Member "${member}" of unit "${name}": expected a Uint8Array`,
      );
    }
    const memberBytes = encoder.encode(member);
    parts.push(u16(memberBytes.length), memberBytes, u32(data.length), data);
  }
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(bodyLength + DIGEST_LENGTH);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.set(sha256(out.subarray(0, bodyLength)), bodyLength);
  return out;
}

/**
 * Decode a unit file, checking magic, version, checksum, structure and that it
 * belongs to unit `name`. Throws {@link FormatError} naming the first problem.
 */
// deno-lint-ignore require-await -- async so that errors arrive as rejections
export async function decodeUnit(
  name: string,
  bytes: Uint8Array,
): Promise<Members> {
  if (bytes.length < MAGIC.length + 2 + DIGEST_LENGTH) {
    throw new FormatError(`file is truncated (${bytes.length} bytes)`);
  }
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new FormatError("bad magic: not a unit file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(MAGIC.length);
  if (version !== VERSION) {
    throw new FormatError(
      `unsupported format version ${version}, expected ${VERSION}`,
    );
  }
  const bodyLength = bytes.length - DIGEST_LENGTH;
  const expected = sha256(bytes.subarray(0, bodyLength));
  if (!expected.every((b, i) => bytes[bodyLength + i] === b)) {
    throw new FormatError("SHA-256 checksum mismatch");
  }
  let at = MAGIC.length + 2;
  const need = (n: number) => {
    if (at + n > bodyLength) throw new FormatError("record overruns the file");
  };
  const readU16 = () => (need(2), at += 2, view.getUint16(at - 2));
  const readU32 = () => (need(4), at += 4, view.getUint32(at - 4));
  const readBytes = (n: number) => (need(n), at += n, bytes.slice(at - n, at));
  const readText = (n: number) => {
    try {
      return decoder.decode(readBytes(n));
    } catch (err) {
      if (err instanceof FormatError) throw err;
      throw new FormatError("name is not valid UTF-8");
    }
  };
  const ownName = readText(readU16());
  if (ownName !== name) {
    throw new FormatError(
      `file belongs to unit "${ownName}", expected "${name}"`,
    );
  }
  const count = readU32();
  const members: Members = {};
  for (let i = 0; i < count; i++) {
    const member = readText(readU16());
    if (Object.hasOwn(members, member)) {
      throw new FormatError(`member "${member}" appears twice`);
    }
    members[member] = readBytes(readU32());
  }
  if (at !== bodyLength) {
    throw new FormatError(
      `${bodyLength - at} unexpected bytes after the last member`,
    );
  }
  return members;
}
