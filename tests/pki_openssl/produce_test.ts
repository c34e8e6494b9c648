/**
 * Interop proof: what src/pki produces is accepted by the real OpenSSL 3 CLI,
 * and keys OpenSSL makes load with our parser.
 */
import assert from "node:assert/strict";
import { isEdgeError } from "../../src/errors.ts";
import {
  caHash,
  type CertificateIssuer,
  createCrl,
  createCsr,
  createSelfSignedCa,
  encodeCertificatePem,
  encodeCrlPem,
  encodeCsrPem,
  encodePrivateKeyPkcs8Pem,
  encodePrivateKeySec1Pem,
  encodePublicKeySpkiDer,
  generateKeyPair,
  issueCertificate,
  parseCsrDer,
  parsePrivateKey,
  parsePublicKey,
} from "../../src/pki/mod.ts";
import { openssl, withTempDir, writeFiles } from "./_openssl.ts";

const HOUR = 3_600_000;
const TD = "spiffe://example.org";

/** root → node intermediate (URI constraint example.org, pathLen 0). */
async function pki() {
  const root = await createSelfSignedCa({
    subject: { CN: "Hub Root" },
    ttlMs: 24 * HOUR,
    uris: [TD],
  });
  const nodeKeys = await generateKeyPair();
  const node: CertificateIssuer = {
    keys: nodeKeys,
    cert: await issueCertificate({
      issuer: root,
      subjectPublicKey: nodeKeys.publicKey,
      profile: "ca",
      subject: { O: "edge-runtime", CN: "node pi-1" },
      uris: [TD],
      pathLength: 0,
      permittedUriDomains: ["example.org"],
      ttlMs: 2 * HOUR,
    }),
  };
  return { root, node };
}

async function svid(issuer: CertificateIssuer, id: string) {
  const keys = await generateKeyPair();
  return await issueCertificate({
    issuer,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    uris: [id],
    extKeyUsages: ["serverAuth", "clientAuth"],
    ttlMs: HOUR,
  });
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string) {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
}

Deno.test("openssl verifies root → node intermediate → SVID for TLS client and server", async () => {
  const { root, node } = await pki();
  const leaf = await svid(node, `${TD}/workload/web`);
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "root.pem": encodeCertificatePem(root.cert),
      "inter.pem": encodeCertificatePem(node.cert),
      "leaf.pem": encodeCertificatePem(leaf),
    });
    for (const purpose of ["sslclient", "sslserver"]) {
      const r = await openssl(dir, [
        "verify",
        "-x509_strict",
        "-purpose",
        purpose,
        "-CAfile",
        "root.pem",
        "-untrusted",
        "inter.pem",
        "leaf.pem",
      ]);
      ok(r, `verify -purpose ${purpose}`);
      assert.match(r.stdout, /leaf\.pem: OK/);
    }
    const text = await openssl(dir, [
      "x509",
      "-in",
      "inter.pem",
      "-noout",
      "-text",
    ]);
    assert.match(
      text.stdout,
      /Name Constraints: critical\s+Permitted:\s+URI:example\.org/,
    );
    assert.match(text.stdout, /CA:TRUE, pathlen:0/);
  });
});

Deno.test("openssl rejects a leaf whose URI is outside the intermediate's name constraint", async () => {
  const { root, node } = await pki();
  const outside = await svid(node, "spiffe://evil.example.net/workload");
  // Subdomains do not match a bare-host URI constraint either.
  const sub = await svid(node, "spiffe://sub.example.org/workload");
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "root.pem": encodeCertificatePem(root.cert),
      "inter.pem": encodeCertificatePem(node.cert),
      "outside.pem": encodeCertificatePem(outside),
      "sub.pem": encodeCertificatePem(sub),
    });
    for (const f of ["outside.pem", "sub.pem"]) {
      const r = await openssl(dir, [
        "verify",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "inter.pem",
        f,
      ]);
      assert.notEqual(r.code, 0, `${f} should be rejected`);
      assert.match(r.stdout + r.stderr, /permitted subtree violation/);
    }
  });
});

Deno.test("openssl rejects a CA issued under a pathLen 0 intermediate (forged past our guard)", async () => {
  const { root, node } = await pki();
  // Our issuer refuses this, so build the sub-CA as if node were unlimited.
  const subKeys = await generateKeyPair();
  const unlimited = { ...node, cert: { ...node.cert, pathLength: undefined } };
  const subCa = await issueCertificate({
    issuer: unlimited,
    subjectPublicKey: subKeys.publicKey,
    profile: "ca",
    subject: { CN: "sub" },
    ttlMs: HOUR,
  });
  const leaf = await svid({ cert: subCa, keys: subKeys }, `${TD}/w`);
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "root.pem": encodeCertificatePem(root.cert),
      "chain.pem": encodeCertificatePem(node.cert) +
        encodeCertificatePem(subCa),
      "leaf.pem": encodeCertificatePem(leaf),
    });
    const r = await openssl(dir, [
      "verify",
      "-CAfile",
      "root.pem",
      "-untrusted",
      "chain.pem",
      "leaf.pem",
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /path length constraint exceeded/);
  });
});

Deno.test("openssl req -verify accepts our leaf and CA CSRs and shows what they request", async () => {
  const keys = await generateKeyPair();
  const leafCsr = await createCsr({
    keys,
    subject: { O: "system:nodes", CN: "system:node:pi-1" },
    dnsNames: ["pi-1.local"],
    ipAddresses: ["10.0.0.7"],
    extKeyUsages: ["clientAuth", "serverAuth"],
  });
  const caCsr = await createCsr({
    keys,
    subject: { CN: "node pi-1" },
    uris: [TD],
    ca: { pathLength: 0 },
  });
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "leaf.csr": encodeCsrPem(leafCsr),
      "ca.csr": encodeCsrPem(caCsr),
    });
    const leaf = await openssl(dir, [
      "req",
      "-verify",
      "-in",
      "leaf.csr",
      "-noout",
      "-text",
    ]);
    ok(leaf, "req -verify leaf");
    assert.match(leaf.stdout + leaf.stderr, /verify OK/);
    assert.match(
      leaf.stdout,
      /Subject: O = system:nodes, CN = system:node:pi-1/,
    );
    assert.match(leaf.stdout, /DNS:pi-1\.local, IP Address:10\.0\.0\.7/);
    assert.match(
      leaf.stdout,
      /TLS Web Client Authentication, TLS Web Server Authentication/,
    );
    const ca = await openssl(dir, [
      "req",
      "-verify",
      "-in",
      "ca.csr",
      "-noout",
      "-text",
    ]);
    ok(ca, "req -verify ca");
    assert.match(ca.stdout + ca.stderr, /verify OK/);
    assert.match(ca.stdout, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(ca.stdout, /URI:spiffe:\/\/example\.org/);
  });
});

Deno.test("a tampered CSR is rejected by our parser and by openssl", async () => {
  const keys = await generateKeyPair();
  const der = await createCsr({ keys, subject: { CN: "system:node:a" } });
  const tampered = new Uint8Array(der);
  const cn = new TextEncoder().encode("system:node:a");
  const at = tampered.findIndex((_, i) =>
    cn.every((b, j) => tampered[i + j] === b)
  );
  tampered[at + cn.length - 1] = 0x62; // "…:a" → "…:b", signature unchanged
  await assert.rejects(
    parseCsrDer(tampered),
    (e) => isEdgeError(e, "CSR_INVALID"),
  );
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "bad.csr": encodeCsrPem(tampered) });
    const r = await openssl(dir, [
      "req",
      "-verify",
      "-in",
      "bad.csr",
      "-noout",
    ]);
    // OpenSSL 3.0 exits 0 here; its verdict is in the message.
    assert.match(r.stdout + r.stderr, /verify failure/);
    assert.doesNotMatch(r.stdout + r.stderr, /verify OK/);
  });
});

Deno.test("openssl verifies our CRL and -crl_check rejects the revoked leaf only", async () => {
  const { root, node } = await pki();
  const revoked = await svid(node, `${TD}/revoked`);
  const good = await svid(node, `${TD}/good`);
  const crl = await createCrl({
    issuer: node,
    revoked: [{
      serialHex: revoked.serialHex,
      revokedAt: new Date(),
      reason: "keyCompromise",
    }],
    nextUpdate: new Date(Date.now() + HOUR),
    crlNumber: 3n,
  });
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "root.pem": encodeCertificatePem(root.cert),
      "inter.pem": encodeCertificatePem(node.cert),
      "crl.pem": encodeCrlPem(crl),
      "revoked.pem": encodeCertificatePem(revoked),
      "good.pem": encodeCertificatePem(good),
    });
    const c = await openssl(dir, [
      "crl",
      "-in",
      "crl.pem",
      "-CAfile",
      "inter.pem",
      "-noout",
      "-text",
    ]);
    ok(c, "crl -CAfile");
    assert.match(c.stderr + c.stdout, /verify OK/);
    assert.match(c.stdout, /CRL Number:\s+3/);
    const wrongCa = await openssl(dir, [
      "crl",
      "-in",
      "crl.pem",
      "-CAfile",
      "root.pem",
      "-noout",
    ]);
    assert.doesNotMatch(wrongCa.stderr + wrongCa.stdout, /verify OK/);
    const args = [
      "verify",
      "-crl_check",
      "-CRLfile",
      "crl.pem",
      "-CAfile",
      "root.pem",
      "-untrusted",
      "inter.pem",
    ];
    const bad = await openssl(dir, [...args, "revoked.pem"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
    ok(
      await openssl(dir, [...args, "good.pem"]),
      "verify -crl_check good leaf",
    );
  });
});

Deno.test("keys from openssl ecparam (SEC1) and genpkey (PKCS#8) load with our parser", async () => {
  await withTempDir(async (dir) => {
    ok(
      await openssl(dir, [
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-out",
        "sec1.pem",
      ]),
      "ecparam",
    );
    ok(
      await openssl(dir, [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "p8.pem",
      ]),
      "genpkey",
    );
    for (const f of ["sec1.pem", "p8.pem"]) {
      const keys = await parsePrivateKey(
        await Deno.readTextFile(`${dir}/${f}`),
      );
      const pub = await openssl(dir, ["pkey", "-in", f, "-pubout"]);
      ok(pub, "pkey -pubout");
      assert.deepEqual(
        await encodePublicKeySpkiDer(keys),
        await encodePublicKeySpkiDer(await parsePublicKey(pub.stdout)),
        `public key derived from ${f} differs from openssl's`,
      );
    }
    ok(
      await openssl(dir, [
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        "p384.pem",
      ]),
      "ecparam p384",
    );
    await assert.rejects(
      parsePrivateKey(await Deno.readTextFile(`${dir}/p384.pem`)),
      (e) => isEdgeError(e, "KEY_INVALID") && e.message.includes("P-384"),
    );
  });
});

Deno.test("our SEC1 and PKCS#8 exports load with openssl ec / pkey", async () => {
  const keys = await generateKeyPair();
  const spki = await encodePublicKeySpkiDer(keys);
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "sec1.pem": await encodePrivateKeySec1Pem(keys.privateKey),
      "p8.pem": await encodePrivateKeyPkcs8Pem(keys.privateKey),
    });
    const ec = await openssl(dir, [
      "ec",
      "-in",
      "sec1.pem",
      "-check",
      "-noout",
      "-text",
    ]);
    ok(ec, "ec -check");
    assert.match(ec.stdout + ec.stderr, /EC Key valid/);
    assert.match(ec.stdout, /ASN1 OID: prime256v1/);
    // openssl re-writes our SEC1 byte-for-byte: same structure as its own.
    const rewritten = await openssl(dir, ["ec", "-in", "sec1.pem"]);
    assert.equal(rewritten.stdout, await Deno.readTextFile(`${dir}/sec1.pem`));
    const pk = await openssl(dir, [
      "pkey",
      "-in",
      "p8.pem",
      "-check",
      "-noout",
    ]);
    ok(pk, "pkey -check");
    for (const f of ["sec1.pem", "p8.pem"]) {
      const pub = await openssl(dir, [
        "pkey",
        "-in",
        f,
        "-pubout",
        "-outform",
        "DER",
      ]);
      ok(pub, "pkey -pubout");
    }
    const der = await new Deno.Command("openssl", {
      args: ["pkey", "-in", "p8.pem", "-pubout", "-outform", "DER"],
      cwd: dir,
      stdout: "piped",
    }).output();
    assert.deepEqual(new Uint8Array(der.stdout), spki);
  });
});

Deno.test("caHash equals openssl's SHA-256 of the CA certificate DER", async () => {
  const { root } = await pki();
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "root.pem": encodeCertificatePem(root.cert) });
    ok(
      await openssl(dir, [
        "x509",
        "-in",
        "root.pem",
        "-outform",
        "DER",
        "-out",
        "root.der",
      ]),
      "x509 DER",
    );
    const r = await openssl(dir, ["dgst", "-sha256", "-r", "root.der"]);
    ok(r, "dgst");
    assert.equal(r.stdout.split(" ")[0], await caHash(root.cert.der));
  });
});
