/**
 * HPACK (RFC 7541), the HTTP/2 header compression: a full decoder (static
 * and dynamic tables, Huffman strings, table size updates) for what
 * clients send, and a minimal encoder for what the server sends (indexed
 * `:status: 200`, every other field a literal without indexing, no
 * Huffman; so the server's dynamic table is never used and the client's
 * decoder state cannot drift).
 *
 * Header names and values are kept as byte strings (one char per octet).
 * @module
 */

/** A header field: [name, value]. */
export type HeaderField = [name: string, value: string];

/** A malformed header block: the connection fails with COMPRESSION_ERROR. */
export class HpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

const STATIC: readonly HeaderField[] = (
  ":authority;:method:GET;:method:POST;:path:/;:path:/index.html;" +
  ":scheme:http;:scheme:https;:status:200;:status:204;:status:206;" +
  ":status:304;:status:400;:status:404;:status:500;accept-charset;" +
  "accept-encoding:gzip, deflate;accept-language;accept-ranges;accept;" +
  "access-control-allow-origin;age;allow;authorization;cache-control;" +
  "content-disposition;content-encoding;content-language;content-length;" +
  "content-location;content-range;content-type;cookie;date;etag;expect;" +
  "expires;from;host;if-match;if-modified-since;if-none-match;if-range;" +
  "if-unmodified-since;last-modified;link;location;max-forwards;" +
  "proxy-authenticate;proxy-authorization;range;referer;refresh;" +
  "retry-after;server;set-cookie;strict-transport-security;" +
  "transfer-encoding;user-agent;vary;via;www-authenticate"
).split(";").map((e) => {
  const i = e.indexOf(":", 1);
  return (i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)]) as HeaderField;
});

/** The static table (index 1 = `:authority`), for tests. */
export const STATIC_TABLE: readonly HeaderField[] = STATIC;

/**
 * Huffman code lengths of symbols 0..255 (RFC 7541 Appendix B), one letter
 * each: `A` = 5 bits … `Z` = 30 bits. The code is canonical, so the codes
 * follow from the lengths; EOS (256) is the 30-bit all-ones code.
 */
const HUFFMAN_LENGTHS =
  "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCC" +
  "CCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTST" +
  "TRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQ" +
  "QVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWV";

/** Canonical decoding tables: per length, first code, count, offset into `symbols`. */
const huffman = (() => {
  const lengths = [...HUFFMAN_LENGTHS].map((c) => c.charCodeAt(0) - 60);
  lengths.push(30); // EOS
  const symbols = lengths.map((_, s) => s).sort((a, b) =>
    lengths[a] - lengths[b] || a - b
  );
  const first = new Array<number>(31).fill(0);
  const count = new Array<number>(31).fill(0);
  const offset = new Array<number>(31).fill(0);
  for (const l of lengths) count[l]++;
  let code = 0;
  let at = 0;
  for (let l = 1; l <= 30; l++) {
    first[l] = code;
    offset[l] = at;
    code = (code + count[l]) * 2;
    at += count[l];
  }
  return { symbols, first, count, offset };
})();

/** Decode a Huffman-coded string (RFC 7541 §5.2). */
export function huffmanDecode(bytes: Uint8Array): string {
  const { symbols, first, count, offset } = huffman;
  let out = "";
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const i = code - first[len];
      if (i >= 0 && i < count[len]) {
        const sym = symbols[offset[len] + i];
        if (sym === 256) throw new HpackError("EOS in a Huffman string");
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len >= 30) {
        throw new HpackError("invalid Huffman code");
      }
    }
  }
  // padding: fewer than 8 bits, all ones (a prefix of EOS)
  if (len > 7 || code !== 2 ** len - 1) {
    throw new HpackError("invalid Huffman padding");
  }
  return out;
}

/** Encode `s` (one char per octet) with the Huffman code, for tests. */
export function huffmanEncode(s: string): Uint8Array {
  const { symbols, first, offset } = huffman;
  const lengths = [...HUFFMAN_LENGTHS].map((c) => c.charCodeAt(0) - 60);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < s.length; k++) {
    const sym = s.charCodeAt(k);
    const l = lengths[sym];
    const code = first[l] + symbols.indexOf(sym) - offset[l];
    for (let b = l - 1; b >= 0; b--) {
      acc = acc * 2 + (Math.floor(code / 2 ** b) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push((acc << (8 - bits)) | (0xff >> bits));
  return Uint8Array.from(out);
}

/** Octets as a byte string. */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

const entrySize = (f: HeaderField) => f[0].length + f[1].length + 32;

/** Decodes the header blocks of one connection (the dynamic table lives here). */
export class HpackDecoder {
  #table: HeaderField[] = []; // newest first
  #size = 0;
  #max: number;
  #limit: number;

  /** `maxTableSize`: SETTINGS_HEADER_TABLE_SIZE we advertise (default 4096). */
  constructor(maxTableSize = 4096) {
    this.#max = maxTableSize;
    this.#limit = maxTableSize;
  }

  /** The dynamic table, newest entry first (for tests and debugging). */
  get dynamicTable(): readonly HeaderField[] {
    return this.#table;
  }

  /** Size of the dynamic table in octets (entry sizes per RFC 7541 §4.1). */
  get dynamicTableSize(): number {
    return this.#size;
  }

  /** Decode one complete header block. Throws {@link HpackError}. */
  decode(block: Uint8Array): HeaderField[] {
    const out: HeaderField[] = [];
    let pos = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let n = block[pos++] & mask;
      if (n < mask) return n;
      let mul = 1;
      for (;;) {
        if (pos >= block.length) throw new HpackError("truncated integer");
        const b = block[pos++];
        n += (b & 0x7f) * mul;
        if (n > 0x7fffffff) throw new HpackError("integer too large");
        if (b < 0x80) return n;
        mul *= 128;
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError("truncated string");
      const huff = (block[pos] & 0x80) !== 0;
      const n = int(7);
      if (n > block.length - pos) throw new HpackError("truncated string");
      const bytes = block.subarray(pos, pos + n);
      pos += n;
      return huff ? huffmanDecode(bytes) : latin1(bytes);
    };
    const field = (index: number): HeaderField => {
      if (index >= 1 && index <= STATIC.length) return STATIC[index - 1];
      const f = this.#table[index - STATIC.length - 1];
      if (!f || index === 0) {
        throw new HpackError(`header index ${index} out of range`);
      }
      return f;
    };
    let fieldsSeen = false;
    while (pos < block.length) {
      const b = block[pos];
      if (b & 0x80) {
        out.push(field(int(7)));
        fieldsSeen = true;
      } else if ((b & 0xe0) === 0x20) {
        // dynamic table size update: only before the first field
        if (fieldsSeen) throw new HpackError("table size update after a field");
        const size = int(5);
        if (size > this.#limit) {
          throw new HpackError(`table size ${size} above ${this.#limit}`);
        }
        this.#max = size;
        this.#evict(0);
      } else {
        const indexing = (b & 0xc0) === 0x40;
        const index = int(indexing ? 6 : 4);
        const name = index === 0 ? str() : field(index)[0];
        const f: HeaderField = [name, str()];
        out.push(f);
        fieldsSeen = true;
        if (indexing) this.#add(f);
      }
    }
    return out;
  }

  #evict(room: number): void {
    while (this.#size + room > this.#max && this.#table.length > 0) {
      this.#size -= entrySize(this.#table.pop()!);
    }
  }

  #add(f: HeaderField): void {
    const size = entrySize(f);
    this.#evict(size);
    if (size > this.#max) return; // too big: the table is now empty
    this.#table.unshift(f);
    this.#size += size;
  }
}

/**
 * Encode a header block: `:status: 200` indexed, every other field a
 * literal without indexing (no Huffman). Names must be lowercase.
 */
export function encodeHeaders(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [];
  const int = (n: number, prefixBits: number, high: number) => {
    const mask = (1 << prefixBits) - 1;
    if (n < mask) {
      out.push(high | n);
      return;
    }
    out.push(high | mask);
    n -= mask;
    while (n >= 128) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  const str = (s: string) => {
    int(s.length, 7, 0);
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  };
  for (const [name, value] of fields) {
    if (name === ":status" && value === "200") {
      out.push(0x88);
      continue;
    }
    const index = STATIC.findIndex((f) => f[0] === name) + 1;
    int(index, 4, 0x00);
    if (index === 0) str(name);
    str(value);
  }
  return Uint8Array.from(out);
}
