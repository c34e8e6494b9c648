import assert from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { isEdgeError } from "../errors.ts";
import { createSelfSignedCa, issueCertificate } from "./certificate.ts";
import {
  createCrl,
  encodeCrlPem,
  isRevoked,
  parseCrl,
  parseCrlDer,
  verifyCrlSignature,
} from "./crl.ts";
import { generateKeyPair } from "./keys.ts";

const HOUR = 3_600_000;

async function fixture() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const ca = await createSelfSignedCa({
    subject: { CN: "Root" },
    ttlMs: 24 * HOUR,
    clock,
  });
  const keys = await generateKeyPair();
  const leaf = await issueCertificate({
    issuer: ca,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    subject: { CN: "leaf" },
    ttlMs: HOUR,
    clock,
  });
  return { clock, ca, leaf };
}

Deno.test("a CRL round-trips issuer, times, CRL number and revoked entries", async () => {
  const { clock, ca, leaf } = await fixture();
  const revokedAt = new Date(Date.UTC(2025, 11, 31, 23, 0, 0));
  const der = await createCrl({
    issuer: ca,
    revoked: [
      { serialHex: leaf.serialHex, revokedAt, reason: "keyCompromise" },
      { serialHex: "0a0b", revokedAt },
    ],
    nextUpdate: new Date(clock.now() + HOUR),
    crlNumber: 42n,
    clock,
  });
  const crl = parseCrl(encodeCrlPem(der));
  assert.equal(crl.issuer, "CN=Root");
  assert.equal(crl.thisUpdate.getTime(), clock.now());
  assert.equal(crl.nextUpdate?.getTime(), clock.now() + HOUR);
  assert.equal(crl.crlNumber, 42n);
  assert.equal(crl.authorityKeyId, ca.cert.subjectKeyId);
  assert.equal(crl.revoked.length, 2);
  assert.equal(crl.revoked[0].reason, "keyCompromise");
  assert.equal(crl.revoked[0].revokedAt.getTime(), revokedAt.getTime());
  assert.equal(crl.revoked[1].reason, undefined);
  assert.ok(isRevoked(crl, leaf.serialHex));
  assert.ok(isRevoked(crl, "A0B"));
  assert.ok(isRevoked(crl, "000a0b"));
  assert.ok(!isRevoked(crl, "0a0c"));
});

Deno.test("verifyCrlSignature accepts the issuing CA and rejects another or a tampered CRL", async () => {
  const { clock, ca } = await fixture();
  const other = await createSelfSignedCa({
    subject: { CN: "Root" },
    ttlMs: HOUR,
    clock,
  });
  const der = await createCrl({
    issuer: ca,
    revoked: [],
    nextUpdate: new Date(clock.now() + HOUR),
    crlNumber: 1,
    clock,
  });
  const crl = parseCrlDer(der);
  assert.deepEqual(crl.revoked, []);
  assert.equal(await verifyCrlSignature(crl, ca.cert), true);
  assert.equal(await verifyCrlSignature(crl, other.cert), false);
  const tampered = new Uint8Array(der);
  tampered[tampered.length - 2] ^= 1;
  assert.equal(await verifyCrlSignature(parseCrlDer(tampered), ca.cert), false);
});

Deno.test("createCrl refuses a non-CA issuer, a mismatched key and bad times", async () => {
  const { clock, ca, leaf } = await fixture();
  const next = new Date(clock.now() + HOUR);
  await assert.rejects(
    createCrl({
      issuer: { cert: leaf, keys: ca.keys },
      revoked: [],
      nextUpdate: next,
      crlNumber: 1,
      clock,
    }),
    (e) => isEdgeError(e, "CRL_INVALID"),
  );
  await assert.rejects(
    createCrl({
      issuer: { cert: ca.cert, keys: await generateKeyPair() },
      revoked: [],
      nextUpdate: next,
      crlNumber: 1,
      clock,
    }),
    (e) => isEdgeError(e, "KEY_MISMATCH"),
  );
  await assert.rejects(
    createCrl({
      issuer: ca,
      revoked: [],
      nextUpdate: new Date(clock.now()),
      crlNumber: 1,
      clock,
    }),
    TypeError,
  );
});

Deno.test("malformed CRL bytes fail with CRL_INVALID", () => {
  assert.throws(
    () => parseCrlDer(new Uint8Array([0x30, 0x01, 0x00])),
    (e) => isEdgeError(e, "CRL_INVALID"),
  );
  assert.throws(
    () =>
      parseCrl(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      ),
    (e) => isEdgeError(e, "PEM_INVALID") && e.message.includes("X509 CRL"),
  );
});
