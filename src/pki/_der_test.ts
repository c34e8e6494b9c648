import assert from "node:assert/strict";
import {
  children,
  decodeOne,
  DerError,
  integer,
  oid,
  readInteger,
  readOid,
  seq,
  TAG,
} from "./_der.ts";

Deno.test("integers encode minimally and read back", () => {
  assert.deepEqual(integer(0), Uint8Array.of(2, 1, 0));
  assert.deepEqual(integer(128), Uint8Array.of(2, 2, 0, 128));
  const big = 2n ** 100n + 5n;
  assert.equal(readInteger(decodeOne(integer(big)).value), big);
});

Deno.test("OIDs round-trip, including multi-byte arcs", () => {
  for (const o of ["1.2.840.10045.3.1.7", "2.5.29.30", "1.3.6.1.5.5.7.3.2"]) {
    const tlv = decodeOne(oid(o));
    assert.equal(tlv.tag, TAG.OID);
    assert.equal(readOid(tlv.value), o);
  }
  assert.deepEqual(
    oid("1.2.840.10045.3.1.7"),
    Uint8Array.of(6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7),
  );
});

Deno.test("long lengths work and malformed DER is refused", () => {
  const body = new Uint8Array(300);
  const s = seq(Uint8Array.of(4, 0), body.subarray(0, 0));
  assert.equal(children(decodeOne(s).value).length, 1);
  const long = seq(Uint8Array.of(4, 0x82, 1, 44), body);
  assert.equal(decodeOne(long).value.length, 304);
  assert.throws(() => decodeOne(Uint8Array.of(0x30, 5, 1)), DerError);
  assert.throws(
    () => decodeOne(Uint8Array.of(0x30, 0x81, 5, 0, 0, 0, 0, 0)),
    DerError,
  );
  assert.throws(() => decodeOne(Uint8Array.of(0x30, 0, 0)), DerError);
});
