import assert from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { isEdgeError } from "../errors.ts";
import type { Random } from "../random.ts";
import {
  type CertificateIssuer,
  createSelfSignedCa,
  encodeCertificateChainDer,
  encodeCertificateChainPem,
  encodeCertificatePem,
  issueCertificate,
  type IssueCertificateOptions,
  parseCertificate,
  parseCertificateChain,
  parseCertificateChainDer,
  parseCertificateDer,
  randomSerialHex,
  verifyCertificateSignature,
} from "./certificate.ts";
import { generateKeyPair, keyMatchesCertificate } from "./keys.ts";

const HOUR = 3_600_000;
const TD = "spiffe://example.org";

function fixedRandom(...chunks: number[][]): Random {
  let i = 0;
  return {
    bytes: (n) =>
      Uint8Array.from(
        { length: n },
        (_, j) => chunks[Math.min(i, chunks.length - 1)][j] ?? 0,
      )
        .map((b, j, a) => (j === a.length - 1 ? (i++, b) : b)),
    float: () => 0.5,
  };
}

async function rootAndNode(clock = new FakeClock()) {
  const root = await createSelfSignedCa({
    subject: { CN: "Hub Root" },
    ttlMs: 24 * HOUR,
    uris: [TD],
    clock,
  });
  const nodeKeys = await generateKeyPair();
  const node: CertificateIssuer = {
    keys: nodeKeys,
    cert: await issueCertificate({
      issuer: root,
      subjectPublicKey: nodeKeys.publicKey,
      profile: "ca",
      subject: { CN: "node pi-1" },
      uris: [TD],
      ttlMs: 2 * HOUR,
      pathLength: 0,
      permittedUriDomains: ["example.org"],
      clock,
    }),
  };
  return { root, node, clock };
}

async function svid(
  issuer: CertificateIssuer,
  extra: Partial<IssueCertificateOptions> = {},
) {
  const keys = await generateKeyPair();
  return await issueCertificate({
    issuer,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    uris: [`${TD}/workload`],
    extKeyUsages: ["serverAuth", "clientAuth"],
    ttlMs: HOUR,
    clock: new FakeClock(),
    ...extra,
  });
}

Deno.test("a self-signed root is a CA with SKI = AKI and backdated NotBefore", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0, 500));
  const { root } = await rootAndNode(clock);
  const c = root.cert;
  assert.equal(c.isCa, true);
  assert.equal(c.pathLength, undefined);
  assert.deepEqual(c.keyUsages, ["digitalSignature", "keyCertSign", "cRLSign"]);
  assert.equal(c.subject, "CN=Hub Root");
  assert.equal(c.issuer, "CN=Hub Root");
  assert.equal(c.subjectKeyId, c.authorityKeyId);
  assert.match(c.subjectKeyId!, /^[0-9a-f]{40}$/);
  assert.equal(c.notBefore.toISOString(), "2026-01-01T11:59:50.000Z");
  assert.equal(c.notAfter.toISOString(), "2026-01-02T12:00:00.000Z");
  assert.deepEqual(c.criticalExtensions.sort(), ["2.5.29.15", "2.5.29.19"]);
  assert.ok(await verifyCertificateSignature(c, c));
  assert.ok(await keyMatchesCertificate(root.keys, c));
});

Deno.test("a node intermediate carries pathLen 0, the URI name constraint and the root's AKI", async () => {
  const { root, node } = await rootAndNode();
  const c = node.cert;
  assert.equal(c.isCa, true);
  assert.equal(c.pathLength, 0);
  assert.deepEqual(c.nameConstraints, {
    permitted: [{ type: "uri", value: "example.org" }],
    excluded: [],
  });
  assert.ok(c.criticalExtensions.includes("2.5.29.30"));
  assert.equal(c.authorityKeyId, root.cert.subjectKeyId);
  assert.equal(c.issuer, "CN=Hub Root");
  assert.deepEqual(c.issuerDer, root.cert.subjectDer);
  assert.ok(await verifyCertificateSignature(c, root.cert));
  assert.equal(await verifyCertificateSignature(c, c), false);
});

Deno.test("an SVID leaf follows the X509-SVID profile", async () => {
  const { node } = await rootAndNode();
  const leaf = await svid(node, { clock: new FakeClock() });
  assert.equal(leaf.isCa, false);
  assert.deepEqual(leaf.keyUsages, ["digitalSignature"]);
  assert.deepEqual(leaf.extKeyUsages, ["serverAuth", "clientAuth"]);
  assert.deepEqual(leaf.uris, [`${TD}/workload`]);
  assert.equal(leaf.subject, "");
  // Empty subject: the SAN extension is critical.
  assert.deepEqual(leaf.criticalExtensions.sort(), [
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.19",
  ]);
  assert.equal(leaf.authorityKeyId, node.cert.subjectKeyId);
  assert.ok(await verifyCertificateSignature(leaf, node.cert));
});

Deno.test("a leaf with a subject has a non-critical SAN and may add keyEncipherment", async () => {
  const { root } = await rootAndNode();
  const leaf = await svid(root, {
    subject: { O: "system:nodes", CN: "system:node:pi-1" },
    uris: [],
    dnsNames: ["pi-1.local"],
    ipAddresses: ["192.168.1.9"],
    extKeyUsages: ["clientAuth"],
    keyUsages: ["digitalSignature", "keyEncipherment"],
  });
  assert.equal(leaf.commonName, "system:node:pi-1");
  assert.deepEqual(leaf.organizations, ["system:nodes"]);
  assert.deepEqual(leaf.dnsNames, ["pi-1.local"]);
  assert.deepEqual(leaf.ipAddresses, ["192.168.1.9"]);
  assert.deepEqual(leaf.extKeyUsages, ["clientAuth"]);
  assert.deepEqual(leaf.keyUsages, ["digitalSignature", "keyEncipherment"]);
  assert.ok(!leaf.criticalExtensions.includes("2.5.29.17"));
});

Deno.test("NotAfter is capped at the issuer's NotAfter", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const { node } = await rootAndNode(clock);
  const leaf = await svid(node, { ttlMs: 10 * HOUR, clock });
  assert.equal(leaf.notAfter.getTime(), node.cert.notAfter.getTime());
  const short = await svid(node, { ttlMs: HOUR, clock });
  assert.equal(short.notAfter.getTime(), Date.UTC(2026, 0, 1) + HOUR);
});

Deno.test("serials are positive 128-bit values from the injected random source", async () => {
  const { root } = await rootAndNode();
  const leaf = await svid(root, {
    random: fixedRandom(new Array(16).fill(0xff)),
  });
  assert.equal(leaf.serialHex, "7f" + "ff".repeat(15));
  // An all-zero draw is skipped.
  const zeroThenOne = fixedRandom(new Array(16).fill(0), [
    0,
    ...new Array(14).fill(0),
    1,
  ]);
  assert.equal(randomSerialHex(zeroThenOne), "00".repeat(15) + "01");
  const a = await svid(root);
  const b = await svid(root);
  assert.notEqual(a.serialHex, b.serialHex);
});

Deno.test("leaf profile rules are enforced", async () => {
  const { root } = await rootAndNode();
  const refused = (e: unknown) => isEdgeError(e, "CERT_INVALID");
  await assert.rejects(svid(root, { uris: [`${TD}/a`, `${TD}/b`] }), refused);
  await assert.rejects(svid(root, { extKeyUsages: ["serverAuth"] }), refused);
  await assert.rejects(
    svid(root, { keyUsages: ["digitalSignature", "keyCertSign"] }),
    refused,
  );
  await assert.rejects(svid(root, { uris: [], extKeyUsages: [] }), refused);
  await assert.rejects(svid(root, { pathLength: 1 }), TypeError);
  await assert.rejects(svid(root, { ttlMs: 0 }), TypeError);
});

Deno.test("issuers that may not sign are refused", async () => {
  const clock = new FakeClock();
  const { root, node } = await rootAndNode(clock);
  const leafKeys = await generateKeyPair();
  const leaf = await svid(root);
  // A leaf cannot issue.
  await assert.rejects(
    svid({ cert: leaf, keys: leafKeys }),
    (e) => isEdgeError(e, "CERT_INVALID") && e.message.includes("not a CA"),
  );
  // pathLen 0 intermediate cannot issue a CA.
  await assert.rejects(
    issueCertificate({
      issuer: node,
      subjectPublicKey: leafKeys.publicKey,
      profile: "ca",
      subject: { CN: "sub" },
      ttlMs: HOUR,
      clock,
    }),
    (e) => isEdgeError(e, "CERT_INVALID") && e.message.includes("pathLength 0"),
  );
  // Wrong issuer key.
  await assert.rejects(
    svid({ cert: node.cert, keys: leafKeys }, { clock }),
    (e) => isEdgeError(e, "KEY_MISMATCH"),
  );
  // Expired issuer.
  await clock.advance(3 * HOUR);
  await assert.rejects(
    svid(node, { clock }),
    (e) => isEdgeError(e, "CERT_INVALID") && e.message.includes("expired"),
  );
  await assert.rejects(
    issueCertificate({
      issuer: "self",
      subjectPublicKey: leafKeys.publicKey,
      profile: "ca",
      subject: "CN=x",
      ttlMs: HOUR,
    }),
    TypeError,
  );
});

Deno.test("certificates round-trip through PEM, PEM chains and concatenated DER", async () => {
  const { root, node } = await rootAndNode();
  const leaf = await svid(node);
  const one = parseCertificate(encodeCertificatePem(leaf));
  assert.deepEqual(one.der, leaf.der);
  const chain = parseCertificateChain(
    encodeCertificateChainPem([leaf, node.cert, root.cert]),
  );
  assert.deepEqual(
    chain.map((c) => c.serialHex),
    [leaf, node.cert, root.cert].map((c) => c.serialHex),
  );
  const fromDer = parseCertificateChainDer(
    encodeCertificateChainDer([leaf, node.cert]),
  );
  assert.deepEqual(fromDer.map((c) => c.subject), ["", "CN=node pi-1"]);
});

Deno.test("malformed certificate DER fails with CERT_INVALID", async () => {
  const { root } = await rootAndNode();
  const truncated = root.cert.der.subarray(0, root.cert.der.length - 5);
  assert.throws(
    () => parseCertificateDer(truncated),
    (e) => isEdgeError(e, "CERT_INVALID"),
  );
  const trailing = new Uint8Array([...root.cert.der, 0]);
  assert.throws(
    () => parseCertificateDer(trailing),
    (e) => isEdgeError(e, "CERT_INVALID"),
  );
  assert.throws(
    () => parseCertificateChainDer(new Uint8Array([0x30, 0x80])),
    (e) => isEdgeError(e, "CERT_INVALID"),
  );
});
