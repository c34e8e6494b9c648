import assert from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { toHex } from "../bytes.ts";
import type { Random } from "../random.ts";
import { x509 } from "./_x509.ts";
import {
  type Certificate,
  createSelfSignedCa,
  issueCertificate,
  type IssueCertificateOptions,
  parseCertificateDer,
  verifyCertificateSignature,
} from "./certificate.ts";
import { createCsr, parseCsrDer } from "./csr.ts";
import { encodePublicKeySpkiDer, generateKeyPair } from "./keys.ts";

const HOUR = 3_600_000;

/** The issued view must be exactly what parsing its DER gives. */
function assertSameAsParsed(cert: Certificate): void {
  assert.deepStrictEqual(cert, parseCertificateDer(cert.der));
}

function serialRandom(first: number[]): Random {
  return {
    bytes: (n) => Uint8Array.from({ length: n }, (_, i) => first[i] ?? 0x5a),
    float: () => 0.5,
  };
}

async function setup() {
  const clock = new FakeClock(Date.UTC(2026, 2, 3, 4, 5, 6, 789));
  const root = await createSelfSignedCa({
    subject: { CN: "Hub Root", O: ["Edge", "Second Org"] },
    ttlMs: 48 * HOUR,
    uris: ["spiffe://example.org"],
    permittedUriDomains: ["example.org", ".example.org"],
    clock,
  });
  return { clock, root };
}

Deno.test("issued leaf and CA views equal parseCertificateDer of their DER", async () => {
  const { clock, root } = await setup();
  assertSameAsParsed(root.cert);
  const keys = await generateKeyPair();
  const cases: Omit<IssueCertificateOptions, "issuer">[] = [
    {
      subjectPublicKey: keys.publicKey,
      profile: "leaf",
      uris: ["spiffe://example.org/ns/a/sa/b"],
      extKeyUsages: ["serverAuth", "clientAuth"],
      ttlMs: HOUR,
    },
    {
      subjectPublicKey: await encodePublicKeySpkiDer(keys),
      profile: "leaf",
      subject: { O: "system:nodes", CN: "system:node:pi-1" },
      dnsNames: ["pi-1.local", "*.edge.example"],
      ipAddresses: ["10.0.0.7", "fd00::7", "::1", "2001:DB8:0:0:1::1"],
      extKeyUsages: ["clientAuth"],
      keyUsages: ["digitalSignature", "keyEncipherment", "keyAgreement"],
      ttlMs: 1_500, // sub-second part must vanish from NotAfter
    },
    {
      subjectPublicKey: keys.publicKey,
      profile: "leaf",
      subject: "CN=weird\\, name, O=x+OU=y",
      ttlMs: HOUR,
    },
    {
      subjectPublicKey: keys.publicKey,
      profile: "ca",
      subject: { CN: "node intermediate" },
      uris: ["spiffe://example.org/node/pi-1"],
      pathLength: 0,
      permittedUriDomains: ["example.org"],
      ttlMs: 100 * HOUR, // capped at the root's NotAfter
    },
    {
      subjectPublicKey: keys.publicKey,
      profile: "ca",
      subject: { C: "DE", ST: "Berlin", L: "Berlin", OU: "ops", CN: "ca" },
      keyUsages: ["keyCertSign", "cRLSign", "decipherOnly"],
      ttlMs: HOUR,
    },
  ];
  for (const c of cases) {
    const cert = await issueCertificate({ ...c, issuer: root, clock });
    assertSameAsParsed(cert);
    assert.ok(await verifyCertificateSignature(cert, root.cert));
  }
  const capped = await issueCertificate({ ...cases[3], issuer: root, clock });
  assert.equal(capped.notAfter.getTime(), root.cert.notAfter.getTime());
});

Deno.test("serials with leading zero bytes or a high first byte encode minimally and read back", async () => {
  const { clock, root } = await setup();
  const keys = await generateKeyPair();
  for (
    const first of [[0, 0, 0x05], [0, 0x85], [0x7f], [0x80], [0xff, 0xff]]
  ) {
    const cert = await issueCertificate({
      issuer: root,
      subjectPublicKey: keys.publicKey,
      profile: "leaf",
      uris: ["spiffe://example.org/w"],
      ttlMs: HOUR,
      clock,
      random: serialRandom(first),
    });
    assertSameAsParsed(cert);
    assert.ok(!cert.serialHex.startsWith("00"), cert.serialHex);
    assert.equal(cert.serialHex.length % 2, 0);
  }
});

Deno.test("validity from 2050 on is a GeneralizedTime and reads back exactly", async () => {
  const clock = new FakeClock(Date.UTC(2049, 11, 31, 23, 0, 0));
  const root = await createSelfSignedCa({
    subject: { CN: "Long Root" },
    ttlMs: 10 * 24 * HOUR,
    clock,
  });
  assertSameAsParsed(root.cert);
  assert.equal(root.cert.notBefore.getUTCFullYear(), 2049);
  assert.equal(root.cert.notAfter.getUTCFullYear(), 2050);
});

Deno.test("key identifiers are the SHA-1 of the public key bits, as the X.509 library computes them", async () => {
  const { clock, root } = await setup();
  const keys = await generateKeyPair();
  const leaf = await issueCertificate({
    issuer: root,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    uris: ["spiffe://example.org/w"],
    ttlMs: HOUR,
    clock,
  });
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  assert.equal(leaf.subjectKeyId, ski.keyId.toLowerCase());
  assert.equal(leaf.authorityKeyId, root.cert.subjectKeyId);
  assert.equal(root.cert.authorityKeyId, root.cert.subjectKeyId);
});

Deno.test("an issuer certificate without a SubjectKeyIdentifier gets an AKI computed from its key", async () => {
  const keys = await generateKeyPair();
  const gen = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=No SKI Root",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + HOUR),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const issuerCert = parseCertificateDer(new Uint8Array(gen.rawData));
  assert.equal(issuerCert.subjectKeyId, undefined);
  const leaf = await issueCertificate({
    issuer: { cert: issuerCert, keys },
    subjectPublicKey: (await generateKeyPair()).publicKey,
    profile: "leaf",
    dnsNames: ["a.example"],
    ttlMs: 60_000,
  });
  assertSameAsParsed(leaf);
  const expected = await x509.SubjectKeyIdentifierExtension.create(
    keys.publicKey,
  );
  assert.equal(leaf.authorityKeyId, expected.keyId.toLowerCase());
  assert.ok(await verifyCertificateSignature(leaf, issuerCert));
});

Deno.test("our CSRs verify with the X.509 library, and library CSRs signed with SHA-384 parse", async () => {
  const keys = await generateKeyPair();
  const ours = await createCsr({
    keys,
    subject: { O: "system:nodes", CN: "system:node:pi-1" },
    dnsNames: ["pi-1"],
    ipAddresses: ["192.168.1.9"],
    extKeyUsages: ["clientAuth"],
    ca: { pathLength: 1 },
  });
  const lib = new x509.Pkcs10CertificateRequest(ours as BufferSource);
  assert.ok(await lib.verify());
  assert.equal(lib.subject, "O=system:nodes, CN=system:node:pi-1");
  const bare = new x509.Pkcs10CertificateRequest(
    await createCsr({ keys, subject: { CN: "bare" } }) as BufferSource,
  );
  assert.ok(await bare.verify());
  assert.equal(bare.extensions.length, 0);

  const theirs = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=lib",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: "spiffe://example.org/x" },
      ]),
    ],
  });
  const parsed = await parseCsrDer(new Uint8Array(theirs.rawData));
  assert.equal(parsed.commonName, "lib");
  assert.deepEqual(parsed.uris, ["spiffe://example.org/x"]);
  assert.equal(toHex(parsed.spki), toHex(await encodePublicKeySpkiDer(keys)));
});
