/**
 * `deno task demo`: what edge-runtime can do today, end to end, on embedded
 * defaults in a temporary state directory that is removed on exit or Ctrl-C.
 *
 * Today (issue #3) that is the PKI and state core a hub and a device share:
 * a hub CA, a node certificate from a KubeEdge-style CSR, a name-constrained
 * node intermediate for offline rotation, a workload X.509-SVID, chain
 * verification, a CRL, and crash-safe storage. The hub process, the runtime
 * and a workload process join the demo as their issues land (#4–#8).
 * @module
 */
import {
  assertKeyMatchesCertificate,
  caHash,
  createCrl,
  createCsr,
  createSelfSignedCa,
  encodeCertificatePem,
  encodePrivateKeySec1Pem,
  generateKeyPair,
  isRevoked,
  issueCertificate,
  parseCertificate,
  parseCrlDer,
  parseCsrDer,
  parsePrivateKey,
  verifyCrlSignature,
  verifySvidChain,
} from "../src/pki/mod.ts";
import { openStore } from "../src/store/mod.ts";
import { isEdgeError } from "../src/errors.ts";

const TRUST_DOMAIN = "example.org";
const NODE = "demo-node";
const HOUR = 3_600_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

const started = performance.now();
let step = 0;
function say(text: string) {
  const t = ((performance.now() - started) / 1000).toFixed(2).padStart(6);
  console.log(`[${t}s] ${text}`);
}
async function stepDo<T>(title: string, fn: () => Promise<T>): Promise<T> {
  step++;
  say(`step ${step}: ${title}`);
  const t0 = performance.now();
  const result = await fn();
  say(`        ok (${(performance.now() - t0).toFixed(0)} ms)`);
  return result;
}

const workDir = await Deno.makeTempDir({ prefix: "edge-runtime-demo-" });
const cleanup = () => {
  try {
    Deno.removeSync(workDir, { recursive: true });
  } catch { /* already gone */ }
};
const onSignal = () => {
  console.log("\ninterrupted — removing the demo state directory");
  cleanup();
  Deno.exit(130);
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

try {
  say(`edge-runtime demo — state in ${workDir} (removed at the end)`);
  const hubStore = await openStore(`${workDir}/hub`);
  const edgeStore = await openStore(`${workDir}/edge`);

  const ca = await stepDo(
    "hub: created a root CA (ECDSA P-256, 1 year)",
    () =>
      createSelfSignedCa({
        subject: { CN: "edge-runtime demo CA" },
        ttlMs: 365 * 24 * HOUR,
      }),
  );
  const hash = await caHash(ca.cert.der);
  await hubStore.writeUnit("ca", {
    cert: ca.cert.der,
    key: enc.encode(await encodePrivateKeySec1Pem(ca.keys.privateKey)),
  });
  say(`        CA hash (the first part of a join token): ${hash}`);

  const nodeKeys = await generateKeyPair();
  const csrDer = await stepDo(
    `device: generated its key and a CSR "O=system:nodes, CN=system:node:${NODE}"`,
    () =>
      createCsr({
        keys: nodeKeys,
        subject: { O: "system:nodes", CN: `system:node:${NODE}` },
        extKeyUsages: ["clientAuth", "serverAuth"],
      }),
  );
  const nodeCert = await stepDo(
    "hub: checked the CSR signature and issued the node certificate (24 h)",
    async () => {
      const csr = await parseCsrDer(csrDer);
      return issueCertificate({
        issuer: ca,
        subjectPublicKey: csr.spki,
        profile: "leaf",
        subject: csr.subject,
        uris: [`spiffe://${TRUST_DOMAIN}/node/${NODE}`],
        extKeyUsages: ["clientAuth", "serverAuth"],
        ttlMs: 24 * HOUR,
      });
    },
  );
  say(
    `        serial ${nodeCert.serialHex}, ${
      nodeCert.uris[0]
    }, valid until ${nodeCert.notAfter.toISOString()}`,
  );

  await stepDo(
    "device: stored key + certificate + CA as one crash-safe unit",
    async () => {
      await edgeStore.writeUnit("identity", {
        key: enc.encode(await encodePrivateKeySec1Pem(nodeKeys.privateKey)),
        cert: enc.encode(encodeCertificatePem(nodeCert)),
        ca: enc.encode(encodeCertificatePem(ca.cert)),
      });
      const back = await edgeStore.requireUnit("identity", {
        validate: async (m) => {
          const keys = await parsePrivateKey(dec.decode(m.key));
          await assertKeyMatchesCertificate(
            keys.privateKey,
            parseCertificate(dec.decode(m.cert)),
          );
        },
      });
      if (back.source !== "current") {
        throw new Error("identity unit did not read back");
      }
    },
  );

  const interKeys = await generateKeyPair();
  const intermediate = await stepDo(
    `hub: signed a node intermediate CA (pathLen 0, only spiffe://${TRUST_DOMAIN}, 7 d)`,
    async () => {
      const csr = await parseCsrDer(
        await createCsr({
          keys: interKeys,
          subject: { CN: `${NODE} intermediate` },
          ca: { pathLength: 0 },
        }),
      );
      return issueCertificate({
        issuer: ca,
        subjectPublicKey: csr.spki,
        profile: "ca",
        subject: csr.subject,
        pathLength: 0,
        permittedUriDomains: [TRUST_DOMAIN],
        ttlMs: 7 * 24 * HOUR,
      });
    },
  );

  const svidKeys = await generateKeyPair();
  const svid = await stepDo(
    "device: issued a workload X.509-SVID offline from the intermediate (1 h)",
    () =>
      issueCertificate({
        issuer: { cert: intermediate, keys: interKeys },
        subjectPublicKey: svidKeys.publicKey,
        profile: "leaf",
        uris: [`spiffe://${TRUST_DOMAIN}/workload/demo`],
        extKeyUsages: ["serverAuth", "clientAuth"],
        ttlMs: HOUR,
      }),
  );

  const verified = await stepDo(
    "workload side: verified SVID → intermediate → root",
    () =>
      verifySvidChain(svid, [intermediate], [ca.cert], {
        trustDomain: TRUST_DOMAIN,
      }),
  );
  say(
    `        SPIFFE ID ${verified.spiffeId}, chain of ${verified.chain.length}`,
  );

  await stepDo(
    "a rogue SVID outside the trust domain is rejected by the name constraint",
    async () => {
      const rogue = await issueCertificate({
        issuer: { cert: intermediate, keys: interKeys },
        subjectPublicKey: svidKeys.publicKey,
        profile: "leaf",
        uris: ["spiffe://evil.example.net/workload/demo"],
        extKeyUsages: ["serverAuth", "clientAuth"],
        ttlMs: HOUR,
      }).catch((err) => err);
      if (isEdgeError(rogue)) {
        say(`        refused at issuance: ${rogue.message}`);
        return;
      }
      try {
        await verifySvidChain(rogue, [intermediate], [ca.cert]);
        throw new Error("rogue SVID was accepted");
      } catch (err) {
        if (!isEdgeError(err, "CHAIN_INVALID")) throw err;
        say(`        refused: ${err.message}`);
      }
    },
  );

  await stepDo(
    `hub: revoked the node certificate and published a CRL`,
    async () => {
      const der = await createCrl({
        issuer: ca,
        revoked: [{ serialHex: nodeCert.serialHex, revokedAt: new Date() }],
        nextUpdate: new Date(Date.now() + 24 * HOUR),
        crlNumber: 1n,
      });
      await hubStore.write("crl", der);
      const crl = parseCrlDer(der);
      if (!await verifyCrlSignature(crl, ca.cert)) {
        throw new Error("CRL signature invalid");
      }
      say(
        `        CRL #${crl.crlNumber}: serial ${nodeCert.serialHex} revoked = ${
          isRevoked(crl, nodeCert.serialHex)
        }`,
      );
    },
  );

  const files = [];
  for await (const e of Deno.readDir(`${workDir}/edge`)) {
    const st = await Deno.stat(`${workDir}/edge/${e.name}`);
    files.push(`${e.name} (${(st.mode! & 0o777).toString(8)})`);
  }
  say(`device state directory: ${files.sort().join(", ")}`);
  say(
    `done in ${
      ((performance.now() - started) / 1000).toFixed(2)
    } s — the hub process, the runtime`,
  );
  say(
    "and a workload process join this demo as issues #4–#8 land. Tests: npx -y deno@2.9.6 task test",
  );
} finally {
  cleanup();
}
