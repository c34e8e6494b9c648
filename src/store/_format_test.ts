import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../../tests/_fixtures/assert.ts";
import { decodeUnit, encodeUnit, FormatError } from "./_format.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("encodeUnit then decodeUnit gives back every member byte for byte", async () => {
  const members = {
    key: bytes("k"),
    cert: new Uint8Array([0, 255, 10]),
    empty: new Uint8Array(),
  };
  const file = await encodeUnit("identity", members);
  assertEquals(new TextDecoder().decode(file.subarray(0, 8)), "EDGEUNIT");
  assertEquals(await decodeUnit("identity", file), members);
});

Deno.test("encodeUnit is deterministic whatever the member order", async () => {
  const a = await encodeUnit("u", { a: bytes("1"), b: bytes("2") });
  const b = await encodeUnit("u", { b: bytes("2"), a: bytes("1") });
  assertEquals(a, b);
});

Deno.test("decodeUnit detects any single flipped byte", async () => {
  const file = await encodeUnit("u", { a: bytes("hello"), b: bytes("world") });
  for (let i = 0; i < file.length; i++) {
    const bad = file.slice();
    bad[i] ^= 0x01;
    await assertRejects(
      () => decodeUnit("u", bad),
      (e) => assert(e instanceof FormatError),
    );
  }
});

Deno.test("decodeUnit rejects truncated files and names the checksum", async () => {
  const file = await encodeUnit("u", { a: bytes("hello") });
  for (const n of [0, 5, 20, file.length - 1]) {
    await assertRejects(() => decodeUnit("u", file.subarray(0, n)), (e) => {
      assert(e instanceof FormatError);
      assertMatch(e.message, /truncated|checksum/);
    });
  }
});

Deno.test("decodeUnit rejects a file of another unit", async () => {
  const file = await encodeUnit("other", { a: bytes("x") });
  await assertRejects(
    () => decodeUnit("u", file),
    (e) =>
      assertMatch(
        (e as Error).message,
        /belongs to unit "other", expected "u"/,
      ),
  );
});

Deno.test("decodeUnit rejects an unknown format version", async () => {
  const file = await encodeUnit("u", { a: bytes("x") });
  file[9] = 2;
  await assertRejects(
    () => decodeUnit("u", file),
    (e) => assertMatch((e as Error).message, /unsupported format version 2/),
  );
});

Deno.test("encodeUnit refuses invalid member names and non-byte values", async () => {
  await assertRejects(() => encodeUnit("u", { "A/b": bytes("x") }), (e) => {
    assert(e instanceof TypeError);
    assertMatch(e.message, /member name "A\/b"/);
  });
  await assertRejects(
    () => encodeUnit("u", { a: "text" as unknown as Uint8Array }),
    (e) => assert(e instanceof TypeError),
  );
});
