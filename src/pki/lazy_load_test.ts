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

Deno.test("CRL creation does not load @peculiar/x509 either and round-trips", async () => {
  const r = await probe(probeScript(`
(globalThis as any).crlIssuer = pki.parseCrlDer(await pki.createCrl({
  issuer: ca, revoked: [], nextUpdate: new Date(Date.now() + 3_600_000), crlNumber: 1,
})).issuer;`));
  assert.equal(r.afterImport, false);
  assert.equal(r.afterFlow, false, "library loaded by createCrl");
  assert.equal(r.crlIssuer, "CN=Root");
});

Deno.test("libcrypto is opened only after a burst of signatures, then signs", async () => {
  const engine = new URL("./_p256_engine.ts", import.meta.url).href;
  const r = await probe(`
const pki = await import(${JSON.stringify(MOD)});
const engine = await import(${JSON.stringify(engine)});
const afterImport = engine.p256Requested();
const keys = await pki.generateKeyPair(false);
const webCrypto = async (m: Uint8Array) => new Uint8Array(await crypto.subtle.sign(
  { name: "ECDSA", hash: "SHA-256" }, keys.privateKey, m as BufferSource));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16)).join(",");
const sign = (i: number) => pki.signEcdsaP256(keys.privateKey, new TextEncoder().encode("m" + i), "raw");
// Cold: signatures are Web Crypto's (deterministic too, so equal).
let sameAsWebCrypto = 0;
for (let i = 0; i < engine.BURST_SIGNATURES - 1; i++) {
  if (hex(await sign(i)) === hex(await webCrypto(new TextEncoder().encode("m" + i)))) sameAsWebCrypto++;
}
const beforeBurst = engine.p256Requested();
await sign(-1);
const afterBurst = engine.p256Requested();
await pki.warmUpP256Signer();
// Warm: libcrypto's random-nonce, low-S signatures differ from Web Crypto's.
let differs = 0;
for (let i = 0; i < 32; i++) {
  if (hex(await sign(i)) !== hex(await webCrypto(new TextEncoder().encode("m" + i)))) differs++;
}
console.log(JSON.stringify({ afterImport, sameAsWebCrypto, beforeBurst, afterBurst, differs, burst: engine.BURST_SIGNATURES }));
`);
  assert.equal(r.afterImport, false, "importing pki loads the signer");
  assert.equal(r.sameAsWebCrypto, r.burst - 1);
  assert.equal(r.beforeBurst, false, "a few signatures load the signer");
  assert.equal(r.afterBurst, true);
  assert.ok(r.differs > 0, "signatures after warm-up are Web Crypto's");
});

Deno.test("without libcrypto (no FFI permission) keys and signatures stay on Web Crypto and verify", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      `
const pki = await import(${JSON.stringify(MOD)});
const engine = await pki.warmUpP256Signer();
const key = await pki.P256PrivateKey.generate();
const data = new TextEncoder().encode("tbs");
const der = await key.sign(data);
const pub = await crypto.subtle.importKey("spki", key.encodeSpkiDer(),
  { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
const { ecdsaDerToRaw } = await import(${
        JSON.stringify(new URL("./_ecdsa.ts", import.meta.url).href)
      });
const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub,
  ecdsaDerToRaw(der), data);
console.log(JSON.stringify({ engine, ok }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", "--config", CONFIG, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(r, { engine: "webcrypto", ok: true });
  } finally {
    await Deno.remove(file);
  }
});
