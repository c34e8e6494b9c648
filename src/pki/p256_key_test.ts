import assert from "node:assert/strict";
import { isEdgeError } from "../errors.ts";
import { toBase64Url, toHex } from "../bytes.ts";
import { children, decodeOne } from "./_der.ts";
import { ecdsaDerToRaw } from "./_ecdsa.ts";
import {
  encodePrivateKeyPkcs8Der,
  encodePrivateKeyPkcs8Pem,
  encodePublicKeySpkiDer,
  generateKeyPair,
  parsePrivateKey,
} from "./keys.ts";
import { P256PrivateKey, signEcdsaP256, warmUpP256Signer } from "./p256_key.ts";

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SHA = { name: "ECDSA", hash: "SHA-256" } as const;
const data = new TextEncoder().encode("tbs bytes");

async function verifiesDer(spki: Uint8Array, der: Uint8Array) {
  const pub = await crypto.subtle.importKey(
    "spki",
    spki as BufferSource,
    EC,
    false,
    [
      "verify",
    ],
  );
  return await crypto.subtle.verify(
    SHA,
    pub,
    ecdsaDerToRaw(der) as BufferSource,
    data,
  );
}

Deno.test("our PKCS#8 of a generated key is byte for byte Web Crypto's export", async () => {
  const keys = await generateKeyPair();
  const webCrypto = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", keys.privateKey),
  );
  assert.deepEqual(await encodePrivateKeyPkcs8Der(keys.privateKey), webCrypto);
  const key = await P256PrivateKey.generate();
  const pair = await key.toCryptoKeyPair();
  assert.deepEqual(
    new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    key.encodePkcs8Der(),
  );
  assert.deepEqual(await encodePublicKeySpkiDer(pair), key.encodeSpkiDer());
});

Deno.test("the PKCS#8 we encode imports into Web Crypto and signs for its SPKI", async () => {
  const key = await P256PrivateKey.generate();
  const imported = await crypto.subtle.importKey(
    "pkcs8",
    key.encodePkcs8Der() as BufferSource,
    EC,
    false,
    ["sign"],
  );
  const raw = new Uint8Array(await crypto.subtle.sign(SHA, imported, data));
  const pub = await crypto.subtle.importKey(
    "spki",
    key.encodeSpkiDer() as BufferSource,
    EC,
    false,
    ["verify"],
  );
  assert.ok(await crypto.subtle.verify(SHA, pub, raw as BufferSource, data));
});

/** P-256 group order n. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const isLowS = (raw: Uint8Array) =>
  BigInt("0x" + toHex(raw.subarray(32))) <= N / 2n;
const messages = Array.from(
  { length: 32 },
  (_, i) => new TextEncoder().encode(`message ${i}`),
);

/**
 * Web Crypto signs deterministically (RFC 6979), high-S half the time; the
 * libcrypto path draws random nonces and makes every signature low-S, so
 * its signatures differ from Web Crypto's for the same key and message.
 */
async function compareWithWebCrypto(key: CryptoKey) {
  let differs = 0;
  let allLowS = true;
  for (const m of messages) {
    const ours = ecdsaDerToRaw(await signEcdsaP256(key, m));
    const theirs = new Uint8Array(await crypto.subtle.sign(SHA, key, m));
    if (toHex(ours) !== toHex(theirs)) differs++;
    allLowS &&= isLowS(ours);
  }
  return { differs, allLowS };
}

Deno.test("once warm, keys made or loaded by pki sign through libcrypto, non-extractable ones too", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  const locked = await generateKeyPair(false);
  const made = await compareWithWebCrypto(locked.privateKey);
  assert.ok(made.allLowS && made.differs > 0, JSON.stringify(made));
  const spki = await encodePublicKeySpkiDer(locked);
  assert.ok(
    await verifiesDer(spki, await signEcdsaP256(locked.privateKey, data)),
  );

  const pem = await encodePrivateKeyPkcs8Pem(
    (await generateKeyPair()).privateKey,
  );
  const loaded = await parsePrivateKey(pem, { extractable: false });
  const parsed = await compareWithWebCrypto(loaded.privateKey);
  assert.ok(parsed.allLowS && parsed.differs > 0, JSON.stringify(parsed));
  assert.ok(
    await verifiesDer(
      await encodePublicKeySpkiDer(loaded),
      await signEcdsaP256(loaded.privateKey, data),
    ),
  );
});

Deno.test("a foreign extractable key is read once and signs on the fast path", async () => {
  await warmUpP256Signer();
  const keys = await crypto.subtle.generateKey(EC, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const r = await compareWithWebCrypto(keys.privateKey);
  assert.ok(r.allLowS && r.differs > 0, JSON.stringify(r));
  const sig = await signEcdsaP256(keys.privateKey, data);
  assert.ok(await verifiesDer(await encodePublicKeySpkiDer(keys), sig));
});

Deno.test("a foreign non-extractable key signs with Web Crypto itself", async () => {
  await warmUpP256Signer();
  const keys = await crypto.subtle.generateKey(EC, false, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const r = await compareWithWebCrypto(keys.privateKey);
  assert.equal(r.differs, 0);
  const sig = await signEcdsaP256(keys.privateKey, data);
  assert.ok(await verifiesDer(await encodePublicKeySpkiDer(keys), sig));
});

Deno.test("raw signatures are r || s in 64 bytes, DER ones two INTEGERs, and both verify", async () => {
  await warmUpP256Signer();
  const key = await P256PrivateKey.generate();
  const raw = await key.sign(data, "raw");
  const der = await key.sign(data, "der");
  assert.equal(raw.length, 64);
  assert.equal(children(decodeOne(der).value).length, 2);
  const pub = await crypto.subtle.importKey(
    "spki",
    key.encodeSpkiDer() as BufferSource,
    EC,
    false,
    ["verify"],
  );
  assert.ok(await crypto.subtle.verify(SHA, pub, raw as BufferSource, data));
  assert.ok(await verifiesDer(key.encodeSpkiDer(), der));
});

Deno.test("a key destroyed after signing through libcrypto refuses to sign again", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  const key = await P256PrivateKey.generate();
  assert.ok(await verifiesDer(key.encodeSpkiDer(), await key.sign(data)));
  key.destroy();
  await assert.rejects(key.sign(data), /destroyed/);
});

Deno.test("fromCryptoKey refuses non-extractable and public keys, and other curves", async () => {
  const locked = await generateKeyPair(false);
  await assert.rejects(
    P256PrivateKey.fromCryptoKey(locked.privateKey),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("extractable"),
  );
  await assert.rejects(
    P256PrivateKey.fromCryptoKey(locked.publicKey),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("private key"),
  );
  const p384 = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-384" },
    true,
    ["sign"],
  ) as CryptoKeyPair;
  await assert.rejects(
    signEcdsaP256(p384.privateKey, data),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("P-384"),
  );
});

Deno.test("a destroyed key no longer signs or encodes; its CryptoKeys still sign", async () => {
  const key = await P256PrivateKey.generate();
  const pair = await key.toCryptoKeyPair(false);
  key.destroy();
  assert.equal(key.destroyed, true);
  assert.throws(() => key.encodePkcs8Der(), /destroyed/);
  await assert.rejects(key.sign(data), /destroyed/);
  const sig = await signEcdsaP256(pair.privateKey, data);
  assert.ok(await verifiesDer(key.encodeSpkiDer(), sig));
});

Deno.test("a key shows no key material in console output or JSON", async () => {
  const key = await P256PrivateKey.generate();
  const [, d] = children(decodeOne(key.encodeSec1Der()).value);
  const secrets = [toHex(d.value), toBase64Url(d.value)];
  const shown = [
    Deno.inspect(key),
    Deno.inspect({ nested: key }),
    JSON.stringify({ key }),
  ];
  for (const text of shown) {
    for (const s of secrets) assert.ok(!text.includes(s), text);
  }
  assert.equal(Deno.inspect(key), "P256PrivateKey {}");
});
