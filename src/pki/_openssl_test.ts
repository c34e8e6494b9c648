import assert from "node:assert/strict";
import { openNativeP256 } from "./_openssl.ts";
import { ecdsaRawToDer } from "./_ecdsa.ts";

const native = openNativeP256();
const N = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const hexBytes = (h: string) =>
  Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));

Deno.test("libcrypto keys sign for their own public point, and each signature verifies with Web Crypto", async () => {
  const { d, point } = native.generate();
  assert.equal(d.length, 32);
  assert.equal(point.length, 65);
  assert.ok(native.isPoint(point));
  const pub = await crypto.subtle.importKey(
    "raw",
    point as BufferSource,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const signer = native.signer(d);
  const data = new TextEncoder().encode("to be signed");
  const a = signer.sign(data);
  const b = signer.sign(data);
  assert.notDeepEqual(a, b, "nonces repeat");
  for (const sig of [a, b]) {
    assert.ok(
      await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        pub,
        sig as BufferSource,
        data,
      ),
    );
    assert.ok(ecdsaRawToDer(sig).length <= 72);
  }
  signer.free();
  signer.free(); // idempotent
  assert.throws(() => signer.sign(data), /freed/);
});

Deno.test("libcrypto refuses scalars outside [1, n-1] and points off the curve", () => {
  for (const d of [new Uint8Array(32), hexBytes(N), new Uint8Array(31)]) {
    assert.throws(() => native.signer(d), /not a P-256 private scalar/);
  }
  const { point } = native.generate();
  const off = point.slice();
  off[64] ^= 1;
  assert.equal(native.isPoint(off), false);
  assert.equal(native.isPoint(point.subarray(0, 33)), false);
  const compressed = point.slice();
  compressed[0] = 2;
  assert.equal(native.isPoint(compressed), false);
});

Deno.test("a library that is not there is an error the caller can fall back from", () => {
  assert.throws(() => openNativeP256("libcrypto-does-not-exist.so.3"));
});
