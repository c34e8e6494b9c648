/**
 * The protobuf wire format, as much of it as the Workload API messages use:
 * varints, length-delimited fields (strings, bytes, messages, packed
 * nothing), 64-bit doubles; unknown fields of any wire type are skipped.
 * @module
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Wire types. */
export const VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

/** Builds one message; nested messages are written with {@link Writer.message}. */
export class Writer {
  #chunks: Uint8Array[] = [];
  #buf = new Uint8Array(64);
  #pos = 0;
  #size = 0;

  /** Bytes written so far. */
  get size(): number {
    return this.#size + this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flush();
    if (n > this.#buf.length) this.#buf = new Uint8Array(Math.max(n, 256));
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#size += this.#pos;
    this.#buf = new Uint8Array(Math.max(256, this.#buf.length));
    this.#pos = 0;
  }

  /** An unsigned varint (up to 2^53). */
  varint(n: number): this {
    this.#room(10);
    while (n > 0x7f) {
      this.#buf[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#pos++] = n;
    return this;
  }

  /** A field key. */
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** Raw bytes (no length prefix). */
  raw(bytes: Uint8Array): this {
    if (bytes.length > 256) {
      this.#flush();
      this.#chunks.push(bytes);
      this.#size += bytes.length;
      return this;
    }
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /** A length-delimited field holding `bytes`. */
  bytes(field: number, bytes: Uint8Array): this {
    return this.tag(field, LEN).varint(bytes.length).raw(bytes);
  }

  /** A string field (UTF-8). */
  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A double field (little-endian IEEE 754). */
  double(field: number, v: number): this {
    this.tag(field, I64);
    this.#room(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat64(
      this.#pos,
      v,
      true,
    );
    this.#pos += 8;
    return this;
  }

  /** A varint field holding a bool or enum number. */
  uint(field: number, v: number): this {
    return this.tag(field, VARINT).varint(v);
  }

  /** A nested message built by `build`. */
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.#flush();
    if (this.#chunks.length === 1) return this.#chunks[0];
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** One field as read: number, wire type, and its value. */
export type Field =
  | { field: number; wireType: typeof VARINT; value: number }
  | { field: number; wireType: typeof LEN; value: Uint8Array }
  | { field: number; wireType: typeof I64 | typeof I32; value: Uint8Array };

/**
 * The fields of a message in order. Throws `RangeError` on truncated or
 * malformed input (groups, wire types 3/4, are refused).
 */
export function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new RangeError("truncated varint");
      const b = buf[pos++];
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
    throw new RangeError("varint too long");
  };
  const take = (n: number): Uint8Array => {
    if (n > buf.length - pos) throw new RangeError("truncated field");
    const v = buf.subarray(pos, pos + n);
    pos += n;
    return v;
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new RangeError("field number 0");
    switch (wireType) {
      case VARINT:
        yield { field, wireType, value: varint() };
        break;
      case LEN:
        yield { field, wireType, value: take(varint()) };
        break;
      case I64:
        yield { field, wireType, value: take(8) };
        break;
      case I32:
        yield { field, wireType, value: take(4) };
        break;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
  }
}

/** A length-delimited field's bytes as a string (invalid UTF-8 → U+FFFD). */
export function text(value: Uint8Array): string {
  return fromUtf8.decode(value);
}
