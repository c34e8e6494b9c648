/**
 * SHA-256 (FIPS 180-4) and SHA-1 (for RFC 5280 key identifiers only),
 * synchronous, in plain TypeScript.
 *
 * Why not `node:crypto`: importing it sets up Deno's Node compatibility
 * layer and its streams, ~30 ms of CPU at every start of the runtime, for
 * the few small buffers hashed before the Workload API serves (config cache
 * key, store records, key identifiers). Web Crypto's digest is async, one
 * round trip per call. Large inputs (an executable for the `unix:sha256`
 * selector) still go through `node:crypto`, loaded when first needed.
 * Checked against `node:crypto` in `digest_test.ts`.
 * @module
 */

const K256 = Int32Array.of(
  0x428a2f98,
  0x71374491,
  -0x4a3f0431,
  -0x164a245b,
  0x3956c25b,
  0x59f111f1,
  -0x6dc07d5c,
  -0x54e3a12b,
  -0x27f85568,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  -0x7f214e02,
  -0x6423f959,
  -0x3e640e8c,
  -0x1b64963f,
  -0x1041b87a,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  -0x67c1aeae,
  -0x57ce3993,
  -0x4ffcd838,
  -0x40a68039,
  -0x391ff40d,
  -0x2a586eb9,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  -0x7e3d36d2,
  -0x6d8dd37b,
  -0x5d40175f,
  -0x57e599b5,
  -0x3db47490,
  -0x3893ae5d,
  -0x2e6d17e7,
  -0x2966f9dc,
  -0xbf1ca7b,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  -0x7b3787ec,
  -0x7338fdf8,
  -0x6f410006,
  -0x5baf9315,
  -0x41065c09,
  -0x398e870e,
);
const H256 = Int32Array.of(
  0x6a09e667,
  -0x4498517b,
  0x3c6ef372,
  -0x5ab00ac6,
  0x510e527f,
  -0x64fa9774,
  0x1f83d9ab,
  0x5be0cd19,
);
const H1 = Int32Array.of(
  0x67452301,
  -0x10325477,
  -0x67452302,
  0x10325476,
  -0x3c2d1e10,
);

/** `data` padded to whole 64-byte blocks with its bit length (big-endian). */
function padded(data: Uint8Array): Uint8Array {
  const blocks = Math.ceil((data.length + 9) / 64);
  const out = new Uint8Array(blocks * 64);
  out.set(data);
  out[data.length] = 0x80;
  const bits = data.length * 8;
  const end = out.length;
  // up to 2^53 bits: high word from division, low word from the remainder
  const high = Math.floor(bits / 0x1_0000_0000);
  const low = bits >>> 0;
  out[end - 8] = high >>> 24;
  out[end - 7] = high >>> 16;
  out[end - 6] = high >>> 8;
  out[end - 5] = high;
  out[end - 4] = low >>> 24;
  out[end - 3] = low >>> 16;
  out[end - 2] = low >>> 8;
  out[end - 1] = low;
  return out;
}

/** The state words, big-endian. */
function output(h: Int32Array): Uint8Array {
  const out = new Uint8Array(h.length * 4);
  for (let i = 0; i < h.length; i++) {
    out[i * 4] = h[i] >>> 24;
    out[i * 4 + 1] = h[i] >>> 16;
    out[i * 4 + 2] = h[i] >>> 8;
    out[i * 4 + 3] = h[i];
  }
  return out;
}

/** Load block `at` of `m` into w[0..15]. */
function load(m: Uint8Array, at: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++, at += 4) {
    w[i] = (m[at] << 24) | (m[at + 1] << 16) | (m[at + 2] << 8) | m[at + 3];
  }
}

const w256 = new Int32Array(64);

/** SHA-256 of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  const m = padded(data);
  const h = H256.slice();
  const w = w256;
  for (let at = 0; at < m.length; at += 64) {
    load(m, at, w);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^
        (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^
        (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3];
    let e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
        ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
        ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
    h[5] = (h[5] + f) | 0;
    h[6] = (h[6] + g) | 0;
    h[7] = (h[7] + k) | 0;
  }
  return output(h);
}

const w1 = new Int32Array(80);

/**
 * SHA-1 of `data` (20 bytes). Only for what standards still define with it
 * (X.509 key identifiers, RFC 5280 §4.2.1.2); never for integrity.
 */
export function sha1(data: Uint8Array): Uint8Array {
  const m = padded(data);
  const h = H1.slice();
  const w = w1;
  for (let at = 0; at < m.length; at += 64) {
    load(m, at, w);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = -0x70e44324;
      } else {
        f = b ^ c ^ d;
        k = -0x359d3e2a;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  }
  return output(h);
}
