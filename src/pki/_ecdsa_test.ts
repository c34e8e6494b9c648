import assert from "node:assert/strict";
import { fromHex, toHex } from "../bytes.ts";
import { DerError } from "./_der.ts";
import { ecdsaDerToRaw, ecdsaRawToDer, verifyEcdsaDer } from "./_ecdsa.ts";
import { generateKeyPair } from "./keys.ts";

const r32 = (first: string, fill = "11") => first + fill.repeat(31);

Deno.test("ecdsaRawToDer adds a zero byte when r or s has the high bit set", () => {
  const raw = fromHex(r32("80") + r32("ff"));
  assert.equal(
    toHex(ecdsaRawToDer(raw)),
    "3046" + "022100" + r32("80") + "022100" + r32("ff"),
  );
});

Deno.test("ecdsaRawToDer strips leading zeros, keeping a sign byte where needed", () => {
  const r = "00".repeat(31) + "05"; // r = 5
  const s = "0000" + "80" + "22".repeat(29); // two zeros, then high bit
  assert.equal(
    toHex(ecdsaRawToDer(fromHex(r + s))),
    "3024" + "020105" + "021f00" + "80" + "22".repeat(29),
  );
  // An all-zero half is INTEGER 0 (minimal, one byte).
  assert.equal(
    toHex(ecdsaRawToDer(new Uint8Array(64))),
    "3006020100020100",
  );
});

Deno.test("ecdsaDerToRaw pads back to 32 bytes and round-trips", () => {
  for (
    const hex of [
      r32("80") + r32("7f"),
      "00".repeat(31) + "05" + "0000" + "80" + "22".repeat(29),
      "00".repeat(64),
      "ff".repeat(64),
    ]
  ) {
    assert.equal(toHex(ecdsaDerToRaw(ecdsaRawToDer(fromHex(hex)))), hex);
  }
});

Deno.test("ecdsaDerToRaw rejects malformed, negative, non-minimal and oversized integers", () => {
  const bad = [
    "3006020100", // truncated
    "300602010002010000", // trailing byte inside the SEQUENCE (3 children)
    "3006020180020101", // negative r
    "30070202000102 0101".replace(" ", ""), // non-minimal r (00 01)
    "3026" + "0221" + "01" + "11".repeat(32) + "020101", // r of 33 bytes
    "3003020101", // only r
    "310602010102 0101".replace(" ", ""), // SET, not SEQUENCE
  ];
  for (const hex of bad) {
    assert.throws(() => ecdsaDerToRaw(fromHex(hex)), DerError, hex);
  }
  assert.throws(() => ecdsaRawToDer(new Uint8Array(63)), DerError);
});

Deno.test("a Web Crypto signature converted to DER verifies, and fails once altered", async () => {
  const keys = await generateKeyPair();
  const data = new TextEncoder().encode("to be signed");
  for (let i = 0; i < 20; i++) {
    const der = ecdsaRawToDer(
      new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          keys.privateKey,
          data,
        ),
      ),
    );
    assert.ok(der.length >= 8 && der.length <= 72);
    assert.ok(await verifyEcdsaDer(keys.publicKey, "SHA-256", der, data));
    const other = new TextEncoder().encode("to be signed!");
    assert.equal(
      await verifyEcdsaDer(keys.publicKey, "SHA-256", der, other),
      false,
    );
  }
  assert.equal(
    await verifyEcdsaDer(keys.publicKey, "SHA-256", fromHex("3000"), data),
    false,
  );
});
