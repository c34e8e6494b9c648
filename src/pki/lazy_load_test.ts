/**
 * Start-up cost guard: importing `src/pki/mod.ts` and issuing, parsing and
 * CSR handling must never load `@peculiar/x509` (its import alone costs
 * ~190 ms; see `import_bench.ts`). Checked in a fresh process, where
 * `Reflect.getMetadata` exists only once `reflect-metadata` (which the
 * library module `_x509.ts` loads first) has been evaluated.
 */
import assert from "node:assert/strict";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MOD = new URL("./mod.ts", import.meta.url).href;

/** A script: import pki, run the start-up flow (plus `extra`), report. */
const probeScript = (extra = "") => `
const loaded = () => typeof (Reflect as any).getMetadata === "function";
const pki = await import(${JSON.stringify(MOD)});
const afterImport = loaded();
const ca = await pki.createSelfSignedCa({ subject: { CN: "Root" }, ttlMs: 86_400_000 });
const keys = await pki.generateKeyPair();
const csr = await pki.parseCsrDer(await pki.createCsr({
  keys, subject: { O: "system:nodes", CN: "system:node:pi-1" }, extKeyUsages: ["clientAuth"],
}));
const leaf = await pki.issueCertificate({
  issuer: ca, subjectPublicKey: csr.publicKey, profile: "leaf", subject: csr.subject,
  extKeyUsages: ["clientAuth"], ttlMs: 3_600_000,
});
const parsed = pki.parseCertificateChain(pki.encodeCertificateChainPem([leaf, ca.cert]));
const hash = await pki.caHash(ca.cert.der);
const signed = await pki.verifyCertificateSignature(parsed[0], parsed[1]);
${extra}
const afterFlow = loaded();
// Positive control: the chain verifier does load the library.
await pki.verifyChain(leaf, [], [ca.cert]);
console.log(JSON.stringify({
  afterImport, afterFlow, afterChain: loaded(),
  subject: parsed[0].subject, hashLength: hash.length, signed,
  crlIssuer: (globalThis as any).crlIssuer,
}));
`;

async function probe(code: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", CONFIG, "--ext", "ts", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("importing pki and issuing, parsing, CSRs and caHash never load @peculiar/x509", async () => {
  const r = await probe(probeScript());
  assert.equal(r.afterImport, false, "library loaded by the import");
  assert.equal(r.afterFlow, false, "library loaded by issue/parse/CSR");
  assert.equal(r.afterChain, true, "probe cannot see the library loading");
  assert.equal(r.subject, "O=system:nodes, CN=system:node:pi-1");
  assert.equal(r.signed, true);
});

Deno.test("CRL creation loads @peculiar/x509 lazily and still round-trips", async () => {
  const r = await probe(probeScript(`
(globalThis as any).crlIssuer = pki.parseCrlDer(await pki.createCrl({
  issuer: ca, revoked: [], nextUpdate: new Date(Date.now() + 3_600_000), crlNumber: 1,
})).issuer;`));
  assert.equal(r.afterImport, false);
  assert.equal(r.afterFlow, true, "createCrl runs on the library");
  assert.equal(r.crlIssuer, "CN=Root");
});
