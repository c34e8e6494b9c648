import assert from "node:assert/strict";
import { isEdgeError } from "../errors.ts";
import { children, decodeOne, readInteger, readOid } from "./_der.ts";
import { createSelfSignedCa } from "./certificate.ts";
import {
  assertKeyMatchesCertificate,
  derivePublicKey,
  encodePrivateKeyPkcs8Der,
  encodePrivateKeyPkcs8Pem,
  encodePrivateKeySec1Der,
  encodePrivateKeySec1Pem,
  encodePublicKeyPem,
  encodePublicKeySpkiDer,
  generateKeyPair,
  keyMatchesCertificate,
  parsePrivateKey,
  parsePrivateKeyDer,
  parsePublicKey,
  publicKeyFingerprint,
} from "./keys.ts";
import { encodePem } from "./pem.ts";

async function sign(key: CryptoKey): Promise<ArrayBuffer> {
  return await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    new Uint8Array([1, 2, 3]),
  );
}

async function verifies(pub: CryptoKey, sig: ArrayBuffer): Promise<boolean> {
  return await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    pub,
    sig,
    new Uint8Array([1, 2, 3]),
  );
}

Deno.test("generateKeyPair makes an extractable P-256 pair by default", async () => {
  const keys = await generateKeyPair();
  assert.equal(
    (keys.privateKey.algorithm as EcKeyAlgorithm).namedCurve,
    "P-256",
  );
  assert.equal(keys.privateKey.extractable, true);
  const locked = await generateKeyPair(false);
  assert.equal(locked.privateKey.extractable, false);
  await assert.rejects(
    encodePrivateKeyPkcs8Der(locked.privateKey),
    (e) =>
      isEdgeError(e, "KEY_INVALID") && e.message.includes("not extractable"),
  );
});

Deno.test("a PKCS#8 PEM round-trips to a key that signs for the same public key", async () => {
  const keys = await generateKeyPair();
  const pem = await encodePrivateKeyPkcs8Pem(keys.privateKey);
  assert.ok(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"));
  const again = await parsePrivateKey(pem);
  assert.ok(await verifies(keys.publicKey, await sign(again.privateKey)));
  assert.equal(
    await publicKeyFingerprint(again.publicKey),
    await publicKeyFingerprint(keys),
  );
});

Deno.test("SEC1 export is an RFC 5915 ECPrivateKey with the P-256 OID and public key", async () => {
  const keys = await generateKeyPair();
  const der = await encodePrivateKeySec1Der(keys.privateKey);
  const [version, d, params, pub] = children(decodeOne(der).value);
  assert.equal(readInteger(version.value), 1n);
  assert.equal(d.value.length, 32);
  assert.equal(params.tag, 0xa0);
  assert.equal(readOid(decodeOne(params.value).value), "1.2.840.10045.3.1.7");
  assert.equal(pub.tag, 0xa1);
  const spki = await encodePublicKeySpkiDer(keys);
  const point = decodeOne(pub.value).value.subarray(1);
  assert.deepEqual(point, spki.subarray(spki.length - 65));
});

Deno.test("a SEC1 PEM round-trips and parsePrivateKey skips an EC PARAMETERS block", async () => {
  const keys = await generateKeyPair();
  const pem = await encodePrivateKeySec1Pem(keys.privateKey);
  assert.ok(pem.startsWith("-----BEGIN EC PRIVATE KEY-----\n"));
  const withParams = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n" +
    "-----END EC PARAMETERS-----\n" + pem;
  const again = await parsePrivateKey(withParams);
  assert.ok(await verifies(keys.publicKey, await sign(again.privateKey)));
  assert.deepEqual(
    await encodePrivateKeySec1Der(again.privateKey),
    await encodePrivateKeySec1Der(keys.privateKey),
  );
});

Deno.test("parsePrivateKey can return a non-extractable key", async () => {
  const keys = await generateKeyPair();
  const pem = await encodePrivateKeyPkcs8Pem(keys.privateKey);
  const locked = await parsePrivateKey(pem, { extractable: false });
  assert.equal(locked.privateKey.extractable, false);
  assert.ok(await verifies(keys.publicKey, await sign(locked.privateKey)));
});

Deno.test("a SEC1 key whose embedded public key is someone else's is rejected", async () => {
  const a = await encodePrivateKeySec1Der((await generateKeyPair()).privateKey);
  const b = await encodePrivateKeySec1Der((await generateKeyPair()).privateKey);
  const forged = new Uint8Array(a);
  forged.set(b.subarray(b.length - 65), a.length - 65); // swap the public point
  await assert.rejects(
    parsePrivateKeyDer(forged),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("public key"),
  );
});

Deno.test("non-P-256 and malformed private keys fail with KEY_INVALID", async () => {
  const p384 = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-384" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const p384Der = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", p384.privateKey),
  );
  await assert.rejects(
    parsePrivateKey(encodePem("PRIVATE KEY", p384Der)),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("P-384"),
  );
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const rsaDer = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", rsa.privateKey),
  );
  await assert.rejects(
    parsePrivateKeyDer(rsaDer),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("RSA"),
  );
  await assert.rejects(
    parsePrivateKeyDer(new Uint8Array([0x30, 0x03, 0x02, 0x01])),
    (e) => isEdgeError(e, "KEY_INVALID"),
  );
  await assert.rejects(
    parsePrivateKey(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ),
    (e) =>
      isEdgeError(e, "PEM_INVALID") && e.message.includes('"EC PRIVATE KEY"'),
  );
});

Deno.test("derivePublicKey recovers the public key from a lone private key", async () => {
  const keys = await generateKeyPair();
  const pub = await derivePublicKey(keys.privateKey);
  assert.deepEqual(
    await encodePublicKeySpkiDer(pub),
    await encodePublicKeySpkiDer(keys.publicKey),
  );
  const pem = await encodePublicKeyPem(keys);
  assert.deepEqual(
    await encodePublicKeySpkiDer(await parsePublicKey(pem)),
    await encodePublicKeySpkiDer(keys),
  );
});

Deno.test("publicKeyFingerprint is the hex SHA-256 of the SPKI", async () => {
  const keys = await generateKeyPair();
  const spki = await encodePublicKeySpkiDer(keys);
  const expected = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource)),
  ).map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(await publicKeyFingerprint(keys), expected);
  assert.equal(await publicKeyFingerprint(spki), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
});

Deno.test("keyMatchesCertificate tells the certificate's key from another key", async () => {
  const ca = await createSelfSignedCa({
    subject: { CN: "Root" },
    ttlMs: 60_000,
  });
  const other = await generateKeyPair();
  assert.equal(await keyMatchesCertificate(ca.keys, ca.cert), true);
  assert.equal(await keyMatchesCertificate(ca.keys.privateKey, ca.cert), true);
  assert.equal(await keyMatchesCertificate(other, ca.cert), false);
  await assertKeyMatchesCertificate(ca.keys, ca.cert);
  await assert.rejects(
    assertKeyMatchesCertificate(other, ca.cert),
    (e) => isEdgeError(e, "KEY_MISMATCH"),
  );
});
