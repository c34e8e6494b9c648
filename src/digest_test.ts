import { createHash } from "node:crypto";
import { assertEquals } from "../tests/_fixtures/assert.ts";
import { sha1, sha256 } from "./digest.ts";
import { fromHex, toHex } from "./bytes.ts";

const enc = new TextEncoder();

Deno.test("sha256 and sha1 give the FIPS 180 example digests", () => {
  assertEquals(
    toHex(sha256(enc.encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    toHex(sha256(new Uint8Array(0))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    toHex(
      sha256(
        enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      ),
    ),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertEquals(
    toHex(sha1(enc.encode("abc"))),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
  assertEquals(
    toHex(sha1(new Uint8Array(0))),
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  );
});

Deno.test("sha256 and sha1 agree with node:crypto at every length around the block and padding edges, and on a large input", () => {
  const lengths = [
    ...Array.from({ length: 200 }, (_, i) => i),
    447,
    448,
    511,
    512,
    1000,
    4096,
    65_537,
    1_000_003,
  ];
  for (const n of lengths) {
    const data = new Uint8Array(n);
    crypto.getRandomValues(data.subarray(0, Math.min(n, 65_536)));
    for (let i = 65_536; i < n; i++) data[i] = i * 31;
    for (const [name, fn] of [["sha256", sha256], ["sha1", sha1]] as const) {
      const want = createHash(name).update(data).digest("hex");
      assertEquals(toHex(fn(data)), want, `${name} of ${n} bytes`);
    }
  }
  // a view into a larger buffer hashes only the view
  const big = fromHex("00112233445566778899");
  assertEquals(
    toHex(sha256(big.subarray(2, 7))),
    createHash("sha256").update(big.subarray(2, 7)).digest("hex"),
  );
});
