import assert from "node:assert/strict";
import { isEdgeError } from "../errors.ts";
import { x509 } from "./_x509.ts";
import { createCsr, encodeCsrPem, parseCsr, parseCsrDer } from "./csr.ts";
import { encodePublicKeySpkiDer, generateKeyPair } from "./keys.ts";

Deno.test("a leaf CSR round-trips subject, SANs and requested EKUs", async () => {
  const keys = await generateKeyPair();
  const der = await createCsr({
    keys,
    subject: { O: "system:nodes", CN: "system:node:pi-1" },
    dnsNames: ["pi-1.local"],
    ipAddresses: ["10.0.0.7", "fd00::7"],
    uris: ["spiffe://example.org/node/pi-1"],
    extKeyUsages: ["clientAuth", "serverAuth"],
  });
  const csr = await parseCsr(encodeCsrPem(der));
  assert.equal(csr.commonName, "system:node:pi-1");
  assert.deepEqual(csr.organizations, ["system:nodes"]);
  assert.equal(csr.subject, "O=system:nodes, CN=system:node:pi-1");
  assert.deepEqual(csr.dnsNames, ["pi-1.local"]);
  assert.deepEqual(csr.ipAddresses, ["10.0.0.7", "fd00::7"]);
  assert.deepEqual(csr.uris, ["spiffe://example.org/node/pi-1"]);
  assert.deepEqual(csr.extKeyUsages, ["clientAuth", "serverAuth"]);
  assert.equal(csr.ca, undefined);
  assert.deepEqual(csr.spki, await encodePublicKeySpkiDer(keys));
  assert.deepEqual(csr.der, der);
});

Deno.test("a CA CSR requests basicConstraints cA with its path length", async () => {
  const keys = await generateKeyPair();
  const csr = await parseCsrDer(
    await createCsr({
      keys,
      subject: "CN=node-1 intermediate",
      uris: ["spiffe://example.org"],
      ca: { pathLength: 0 },
    }),
  );
  assert.deepEqual(csr.ca, { pathLength: 0 });
  assert.equal(csr.commonName, "node-1 intermediate");
  const unlimited = await parseCsrDer(
    await createCsr({ keys, subject: { CN: "x" }, ca: {} }),
  );
  assert.deepEqual(unlimited.ca, { pathLength: undefined });
});

Deno.test("a CSR without subject and SANs is refused", async () => {
  const keys = await generateKeyPair();
  await assert.rejects(createCsr({ keys }), TypeError);
  const sanOnly = await parseCsrDer(
    await createCsr({ keys, uris: ["spiffe://example.org/w"] }),
  );
  assert.equal(sanOnly.subject, "");
});

Deno.test("a CSR with a tampered signature or body is rejected", async () => {
  const keys = await generateKeyPair();
  const der = await createCsr({ keys, subject: { CN: "system:node:a" } });
  const badSig = new Uint8Array(der);
  badSig[badSig.length - 3] ^= 0x01;
  await assert.rejects(
    parseCsrDer(badSig),
    (e) => isEdgeError(e, "CSR_INVALID") && e.message.includes("signature"),
  );
  // Change the CN "a" to "b": same length, signature no longer matches.
  const badBody = new Uint8Array(der);
  const i = badBody.findIndex((b, j) =>
    b === 0x3a && badBody[j + 1] === 0x61 && badBody[j - 1] === 0x65
  );
  badBody[i + 1] = 0x62;
  await assert.rejects(
    parseCsrDer(badBody),
    (e) => isEdgeError(e, "CSR_INVALID"),
  );
});

Deno.test("malformed bytes and non-P-256 CSRs fail with CSR_INVALID", async () => {
  await assert.rejects(
    parseCsrDer(new Uint8Array([0x30, 0x02, 0x05, 0x00])),
    (e) => isEdgeError(e, "CSR_INVALID"),
  );
  const p384 = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-384" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=big",
    keys: p384,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
  });
  await assert.rejects(
    parseCsrDer(new Uint8Array(req.rawData)),
    (e) => isEdgeError(e, "CSR_INVALID") && e.message.includes("P-384"),
  );
  await assert.rejects(
    createCsr({ keys: p384, subject: { CN: "big" } }),
    (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("P-256"),
  );
});
