import assert from "node:assert/strict";
import { caHash } from "./ca_hash.ts";
import { createSelfSignedCa } from "./certificate.ts";

Deno.test("caHash is the lowercase hex SHA-256 of the bytes", async () => {
  assert.equal(
    await caHash(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("caHash of a CA certificate differs between CAs and is stable", async () => {
  const a = await createSelfSignedCa({
    subject: { CN: "KubeEdge" },
    ttlMs: 60_000,
  });
  const b = await createSelfSignedCa({
    subject: { CN: "KubeEdge" },
    ttlMs: 60_000,
  });
  const h = await caHash(a.cert.der);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(await caHash(a.cert.der), h);
  assert.notEqual(await caHash(b.cert.der), h);
});
