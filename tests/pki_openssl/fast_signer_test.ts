/**
 * Interop proof of the fast signer: certificates, CSRs, CRLs and ES256 JWTs
 * signed through the system's libcrypto (once warm, see
 * `src/pki/p256_key.ts`) verify with Web Crypto and with the real OpenSSL
 * CLI, and the private keys it generates and we encode load in Web Crypto
 * and pass `openssl pkey/ec -check`.
 *
 * Telling the signers apart: Web Crypto's signatures are deterministic
 * (RFC 6979) and high-S half the time; libcrypto's nonces are random and
 * we normalise them to low-S, so ours are all low-S and differ from Web
 * Crypto's for the same key and data.
 */
import assert from "node:assert/strict";
import { toHex } from "../../src/bytes.ts";
import { signJwt, verifyJwt } from "../../src/jose/mod.ts";
import { decodeCertificate } from "../../src/pki/_certificate_der.ts";
import { ecdsaDerToRaw, ecdsaRawToDer } from "../../src/pki/_ecdsa.ts";
import {
  type Certificate,
  type CertificateIssuer,
  createCrl,
  createCsr,
  createSelfSignedCa,
  encodeCertificatePem,
  encodeCrlPem,
  encodeCsrPem,
  encodePrivateKeyPkcs8Pem,
  encodePrivateKeySec1Pem,
  encodePublicKeyPem,
  generateKeyPair,
  issueCertificate,
  P256PrivateKey,
  parsePrivateKey,
  verifyCertificateSignature,
  warmUpP256Signer,
} from "../../src/pki/mod.ts";
import { openssl, withTempDir, writeFiles } from "./_openssl.ts";

const HOUR = 3_600_000;
const TD = "spiffe://example.org";
const SHA = { name: "ECDSA", hash: "SHA-256" } as const;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function ok(r: { code: number; stdout: string; stderr: string }, what: string) {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
}

const isLowS = (raw: Uint8Array) =>
  BigInt("0x" + toHex(raw.subarray(32))) <= N / 2n;

/** Raw signature Web Crypto makes over `data` with `key`. */
async function webCryptoSign(key: CryptoKey, data: Uint8Array) {
  return new Uint8Array(
    await crypto.subtle.sign(SHA, key, data as BufferSource),
  );
}

/** root → node CA (pathLen 0), keys from generateKeyPair. */
async function nodeCa(): Promise<
  { root: CertificateIssuer; node: CertificateIssuer }
> {
  const root = await createSelfSignedCa({
    subject: { CN: "Hub Root" },
    ttlMs: 24 * HOUR,
    uris: [TD],
  });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    issuer: root,
    subjectPublicKey: keys.publicKey,
    profile: "ca",
    subject: { CN: "Node CA pi-1" },
    uris: [TD],
    pathLength: 0,
    permittedUriDomains: ["example.org"],
    ttlMs: 2 * HOUR,
  });
  return { root, node: { cert, keys } };
}

Deno.test("SVIDs signed through libcrypto verify with Web Crypto and openssl verify", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  const { root, node } = await nodeCa();
  const leaves: Certificate[] = [];
  let differs = 0;
  for (let i = 0; i < 32; i++) {
    const key = await P256PrivateKey.generate();
    const leaf = await issueCertificate({
      issuer: node,
      subjectPublicKey: key.encodeSpkiDer(),
      profile: "leaf",
      uris: [`${TD}/w/${i}`],
      extKeyUsages: ["serverAuth", "clientAuth"],
      ttlMs: HOUR,
    });
    assert.ok(await verifyCertificateSignature(leaf, node.cert), `leaf ${i}`);
    const { tbs, signature } = decodeCertificate(leaf.der);
    const ours = ecdsaDerToRaw(signature);
    assert.ok(isLowS(ours), `leaf ${i} is high-S`);
    const theirs = await webCryptoSign(node.keys.privateKey, tbs.raw);
    if (toHex(ours) !== toHex(theirs)) differs++;
    leaves.push(leaf);
  }
  assert.ok(differs > 0, "every signature equals Web Crypto's");
  await withTempDir(async (dir) => {
    const files: Record<string, string> = {
      "root.pem": encodeCertificatePem(root.cert),
      "node.pem": encodeCertificatePem(node.cert),
    };
    leaves.forEach((l, i) => files[`leaf${i}.pem`] = encodeCertificatePem(l));
    await writeFiles(dir, files);
    const names = leaves.map((_, i) => `leaf${i}.pem`);
    const v = await openssl(dir, [
      "verify",
      "-CAfile",
      "root.pem",
      "-untrusted",
      "node.pem",
      ...names,
    ]);
    ok(v, "openssl verify");
    for (const n of names) assert.match(v.stdout, new RegExp(`${n}: OK`));
  });
});

Deno.test("a CSR and a CRL signed through libcrypto verify with openssl", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  const { root, node } = await nodeCa();
  const keys = await generateKeyPair(false);
  const csr = await createCsr({
    keys,
    subject: { O: "system:nodes", CN: "system:node:pi-1" },
    extKeyUsages: ["clientAuth"],
  });
  const crl = await createCrl({
    issuer: node,
    revoked: [{
      serialHex: "0a0b",
      revokedAt: new Date(),
      reason: "superseded",
    }],
    nextUpdate: new Date(Date.now() + HOUR),
    crlNumber: 7n,
  });
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "csr.pem": encodeCsrPem(csr),
      "crl.pem": encodeCrlPem(crl),
      "chain.pem": encodeCertificatePem(node.cert) +
        encodeCertificatePem(root.cert),
    });
    const req = await openssl(dir, [
      "req",
      "-in",
      "csr.pem",
      "-verify",
      "-noout",
    ]);
    ok(req, "req -verify");
    assert.match(req.stdout + req.stderr, /verify OK/i);
    const c = await openssl(dir, [
      "crl",
      "-in",
      "crl.pem",
      "-CAfile",
      "chain.pem",
      "-noout",
      "-text",
    ]);
    ok(c, "crl -CAfile");
    assert.match(c.stdout + c.stderr, /verify OK/);
    assert.match(c.stdout, /Serial Number: 0A0B/i);
  });
});

Deno.test("ES256 JWTs signed through libcrypto verify with Web Crypto and openssl dgst", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  // An OpenSSL-made key, loaded non-extractable: the fast path still signs.
  await withTempDir(async (dir) => {
    ok(
      await openssl(dir, [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "key.pem",
      ]),
      "genpkey",
    );
    const keys = await parsePrivateKey(
      await Deno.readTextFile(`${dir}/key.pem`),
      { extractable: false },
    );
    await writeFiles(dir, { "pub.pem": await encodePublicKeyPem(keys) });
    let differs = 0;
    for (let i = 0; i < 32; i++) {
      const token = await signJwt(
        { alg: "ES256", typ: "JWT", kid: "k1" },
        { sub: `${TD}/w`, aud: [`aud-${i}`], exp: 2_000_000_000 },
        keys.privateKey,
      );
      const d = await verifyJwt(token, {
        key: keys.publicKey,
        algorithms: ["ES256"],
        audience: `aud-${i}`,
      });
      assert.equal(d.signature.length, 64);
      assert.ok(isLowS(d.signature), `token ${i} is high-S`);
      const input = new TextEncoder().encode(d.signingInput);
      const theirs = await webCryptoSign(keys.privateKey, input);
      if (toHex(d.signature) !== toHex(theirs)) differs++;
      if (i < 4) {
        await Deno.writeFile(`${dir}/in${i}`, input);
        await Deno.writeFile(`${dir}/sig${i}.der`, ecdsaRawToDer(d.signature));
        const v = await openssl(dir, [
          "dgst",
          "-sha256",
          "-verify",
          "pub.pem",
          "-signature",
          `sig${i}.der`,
          `in${i}`,
        ]);
        ok(v, "dgst -verify");
        assert.match(v.stdout, /Verified OK/);
      }
    }
    assert.ok(differs > 0, "every signature equals Web Crypto's");
  });
});

Deno.test("keys libcrypto generates and we encode load in Web Crypto and pass openssl pkey/ec -check", async () => {
  assert.equal(await warmUpP256Signer(), "openssl");
  const key = await P256PrivateKey.generate();
  const p8 = await encodePrivateKeyPkcs8Pem(key);
  const spki = key.encodeSpkiDer();
  const imported = await crypto.subtle.importKey(
    "pkcs8",
    key.encodePkcs8Der() as BufferSource,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const data = new TextEncoder().encode("data");
  const pub = await crypto.subtle.importKey(
    "spki",
    spki as BufferSource,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  assert.ok(
    await crypto.subtle.verify(
      SHA,
      pub,
      await webCryptoSign(imported, data) as BufferSource,
      data,
    ),
  );
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "p8.pem": p8,
      "sec1.pem": await encodePrivateKeySec1Pem(key),
    });
    const pk = await openssl(dir, [
      "pkey",
      "-in",
      "p8.pem",
      "-check",
      "-noout",
    ]);
    ok(pk, "pkey -check");
    assert.match(pk.stdout + pk.stderr, /Key is valid/);
    const ec = await openssl(dir, [
      "ec",
      "-in",
      "sec1.pem",
      "-check",
      "-noout",
    ]);
    ok(ec, "ec -check");
    assert.match(ec.stdout + ec.stderr, /EC Key valid/);
    // openssl writes the same PKCS#8 back: same structure as its own.
    const again = await openssl(dir, ["pkey", "-in", "p8.pem"]);
    ok(again, "pkey");
    assert.equal(again.stdout, p8);
    const der = await new Deno.Command("openssl", {
      args: ["pkey", "-in", "p8.pem", "-pubout", "-outform", "DER"],
      cwd: dir,
      stdout: "piped",
    }).output();
    assert.deepEqual(new Uint8Array(der.stdout), spki);
  });
});
