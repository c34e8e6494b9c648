/**
 * Issuance benchmarks: `deno bench --allow-all src/pki/issue_bench.ts`.
 * @module
 */
import { createSelfSignedCa, issueCertificate } from "./certificate.ts";
import { createCsr, parseCsrDer } from "./csr.ts";
import { generateKeyPair } from "./keys.ts";

const HOUR = 3_600_000;
const ca = await createSelfSignedCa({
  subject: { CN: "Bench Root" },
  ttlMs: 24 * HOUR,
});
const existing = await generateKeyPair();

async function issueLeaf(publicKey: CryptoKey) {
  return await issueCertificate({
    issuer: ca,
    subjectPublicKey: publicKey,
    profile: "leaf",
    uris: ["spiffe://example.org/bench"],
    extKeyUsages: ["serverAuth", "clientAuth"],
    ttlMs: HOUR,
  });
}

Deno.bench("keygen + issue one SVID leaf", async () => {
  const keys = await generateKeyPair();
  await issueLeaf(keys.publicKey);
});

Deno.bench("issue one SVID leaf for an existing key", async () => {
  await issueLeaf(existing.publicKey);
});

Deno.bench("createCsr + parseCsrDer (signature checked)", async () => {
  const der = await createCsr({
    keys: existing,
    subject: { O: "system:nodes", CN: "system:node:bench" },
    extKeyUsages: ["clientAuth"],
  });
  await parseCsrDer(der);
});

const csrDer = await createCsr({
  keys: existing,
  subject: { O: "system:nodes", CN: "system:node:bench" },
  extKeyUsages: ["clientAuth"],
});
const csrOnce = await parseCsrDer(csrDer);

Deno.bench("parseCsrDer only (signature checked)", async () => {
  await parseCsrDer(csrDer);
});

Deno.bench("issue a node certificate for a parsed CSR (hub path)", async () => {
  await issueCertificate({
    issuer: ca,
    subjectPublicKey: csrOnce.spki,
    profile: "leaf",
    subject: csrOnce.subjectDer.length > 2
      ? { O: csrOnce.organizations, CN: csrOnce.commonName }
      : undefined,
    extKeyUsages: ["clientAuth"],
    ttlMs: HOUR,
  });
});
