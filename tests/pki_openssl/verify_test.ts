/**
 * `verifyChain` against `openssl verify` (OpenSSL 3): the same files, the
 * same verification time (`-attime`), the same purpose — both must accept
 * or both reject, our `reason` must be the expected rule, and our `depth`
 * must be the depth at which openssl reports the matching error.
 */
import assert from "node:assert/strict";
import {
  ChainError,
  type ChainFailureReason,
  type ChainPurpose,
  verifyChain,
} from "../../src/pki/chain.ts";
import {
  type CertSpec,
  openssl,
  OpensslPki,
  withTempDir,
  writeFiles,
} from "./_openssl.ts";

/** Verification time for both sides: 2030-01-01T00:00:00Z. */
const AT = Date.UTC(2030, 0, 1);

const CA = [
  "basicConstraints=critical,CA:TRUE",
  "keyUsage=critical,keyCertSign,cRLSign",
  "subjectKeyIdentifier=hash",
].join("\n");
const SUB_CA = `${CA}\nauthorityKeyIdentifier=keyid`;
const nc = (c: string) => `${SUB_CA}\nnameConstraints=critical,${c}`;

function leafExt(
  san: string,
  { eku = "serverAuth,clientAuth", ku = "digitalSignature", extra = "" } = {},
): string {
  return [
    "basicConstraints=critical,CA:FALSE",
    `keyUsage=critical,${ku}`,
    eku ? `extendedKeyUsage=${eku}` : "",
    `subjectAltName=${san}`,
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
    extra,
  ].join("\n");
}

const ID = "URI:spiffe://example.org/workload";

/** Every certificate of the test PKI, issued in this order. */
// deno-fmt-ignore
const SPECS: [string, CertSpec][] = [
  ["root", { cn: "Test Root CA", ext: CA }],
  ["otherRoot", { cn: "Other Root CA", ext: CA }],
  ["root384", { cn: "P-384 Root CA", ext: CA, alg: "P-384" }],
  ["inter", { cn: "Intermediate CA", issuer: "root", ext: SUB_CA }],
  ["interRsa", { cn: "RSA Intermediate CA", issuer: "root", ext: SUB_CA, alg: "RSA-2048" }],
  ["interNc", { cn: "NC Intermediate", issuer: "root", ext: nc("permitted;URI:example.org") }],
  ["interNcDot", { cn: "NC Dot Intermediate", issuer: "root", ext: nc("permitted;URI:.example.org") }],
  ["interNcEx", { cn: "NC Excluded Intermediate", issuer: "root", ext: nc("excluded;URI:.evil.org") }],
  ["interDns", { cn: "DNS NC Intermediate", issuer: "root", ext: nc("permitted;DNS:example.org") }],
  ["interPath0", { cn: "PathLen0 Intermediate", issuer: "root", ext: SUB_CA.replace("CA:TRUE", "CA:TRUE,pathlen:0") }],
  ["subCa", { cn: "Sub CA", issuer: "interPath0", ext: SUB_CA }],
  ["interNotCa", { cn: "Not A CA", issuer: "root", ext: SUB_CA.replace("CA:TRUE", "CA:FALSE") }],
  ["interNoKcs", { cn: "No KeyCertSign CA", issuer: "root", ext: SUB_CA.replace("keyCertSign,cRLSign", "digitalSignature,cRLSign") }],
  ["interServerEku", { cn: "ServerAuth CA", issuer: "root", ext: `${SUB_CA}\nextendedKeyUsage=serverAuth` }],
  ["interAnyEku", { cn: "AnyEKU CA", issuer: "root", ext: `${SUB_CA}\nextendedKeyUsage=anyExtendedKeyUsage` }],
  ["interExpired", { cn: "Expired CA", issuer: "root", ext: SUB_CA, end: "20250101000000Z" }],
  ["good", { cn: "Good Leaf", issuer: "inter", ext: leafExt(ID) }],
  ["goodRsa", { cn: "RSA Leaf", issuer: "interRsa", ext: leafExt(ID), alg: "RSA-2048" }],
  ["good384", { cn: "P-384 Leaf", issuer: "root384", ext: leafExt(ID), alg: "P-384" }],
  ["noEku", { cn: "No EKU Leaf", issuer: "inter", ext: leafExt(ID, { eku: "" }) }],
  ["expired", { cn: "Expired Leaf", issuer: "inter", ext: leafExt(ID), end: "20210101000000Z" }],
  ["future", { cn: "Future Leaf", issuer: "inter", ext: leafExt(ID), start: "20350101000000Z", end: "20360101000000Z" }],
  ["soon", { cn: "Soon Leaf", issuer: "inter", ext: leafExt(ID), start: "20300101000030Z" }],
  ["serverOnly", { cn: "Server Leaf", issuer: "inter", ext: leafExt(ID, { eku: "serverAuth" }) }],
  ["kuKeyEnc", { cn: "KeyEnc Leaf", issuer: "inter", ext: leafExt(ID, { ku: "keyEncipherment" }) }],
  ["ncOk", { cn: "NC OK", issuer: "interNc", ext: leafExt("URI:spiffe://example.org/w") }],
  ["ncOutside", { cn: "NC Outside", issuer: "interNc", ext: leafExt("URI:spiffe://evil.org/w") }],
  ["ncSub", { cn: "NC Sub", issuer: "interNc", ext: leafExt("URI:spiffe://sub.example.org/w") }],
  ["ncSubDot", { cn: "NC Sub Dot", issuer: "interNcDot", ext: leafExt("URI:spiffe://sub.example.org/w") }],
  ["ncApexDot", { cn: "NC Apex Dot", issuer: "interNcDot", ext: leafExt("URI:spiffe://example.org/w") }],
  ["ncExcluded", { cn: "NC Excluded", issuer: "interNcEx", ext: leafExt("URI:spiffe://a.evil.org/w") }],
  ["dnsOk", { cn: "DNS OK", issuer: "interDns", ext: leafExt("DNS:node1.example.org") }],
  ["dnsBad", { cn: "DNS Bad", issuer: "interDns", ext: leafExt("DNS:node1.example.com") }],
  ["underSub", { cn: "Under Sub CA", issuer: "subCa", ext: leafExt(ID) }],
  ["underPath0", { cn: "Under PathLen0", issuer: "interPath0", ext: leafExt(ID) }],
  ["underNotCa", { cn: "Under Not A CA", issuer: "interNotCa", ext: leafExt(ID) }],
  ["underNoKcs", { cn: "Under No KeyCertSign", issuer: "interNoKcs", ext: leafExt(ID) }],
  ["underServerEku", { cn: "Under ServerAuth CA", issuer: "interServerEku", ext: leafExt(ID) }],
  ["underAnyEku", { cn: "Under AnyEKU CA", issuer: "interAnyEku", ext: leafExt(ID) }],
  ["underExpired", { cn: "Under Expired CA", issuer: "interExpired", ext: leafExt(ID) }],
  ["critical", { cn: "Critical Leaf", issuer: "inter", ext: leafExt(ID, { extra: "1.2.3.4=critical,ASN1:NULL" }) }],
  ["untrusted", { cn: "Untrusted Leaf", issuer: "otherRoot", ext: leafExt(ID) }],
];

interface Case {
  name: string;
  leaf: string;
  intermediates: string[];
  roots: string[];
  purpose?: ChainPurpose;
  /** Our `maxClockSkewMs` (default: the library default). */
  skewMs?: number;
  /** Extra `openssl verify` flags. */
  flags?: string[];
  /** undefined = both accept; else our reason and openssl's error number. */
  reject?: { reason: ChainFailureReason; openssl: number };
}

const I = ["inter"];
const R = ["root"];

// deno-fmt-ignore
const CASES: Case[] = [
  { name: "a valid ECDSA P-256 chain", leaf: "good", intermediates: I, roots: R },
  { name: "a valid chain for clientAuth", leaf: "good", intermediates: I, roots: R, purpose: "clientAuth" },
  { name: "a valid RSA-2048 intermediate and leaf", leaf: "goodRsa", intermediates: ["interRsa"], roots: R, purpose: "serverAuth" },
  { name: "a valid ECDSA P-384 root and leaf", leaf: "good384", intermediates: [], roots: ["root384", "root"] },
  { name: "a leaf without extendedKeyUsage for clientAuth", leaf: "noEku", intermediates: I, roots: R, purpose: "clientAuth" },
  { name: "an expired leaf", leaf: "expired", intermediates: I, roots: R, reject: { reason: "expired", openssl: 10 } },
  { name: "a not-yet-valid leaf", leaf: "future", intermediates: I, roots: R, reject: { reason: "not_yet_valid", openssl: 9 } },
  { name: "a leaf valid 30 s after the verification time, with zero skew", leaf: "soon", intermediates: I, roots: R, skewMs: 0, reject: { reason: "not_yet_valid", openssl: 9 } },
  { name: "an expired intermediate", leaf: "underExpired", intermediates: ["interExpired"], roots: R, reject: { reason: "expired", openssl: 10 } },
  { name: "a serverAuth-only leaf used for clientAuth", leaf: "serverOnly", intermediates: I, roots: R, purpose: "clientAuth", reject: { reason: "ext_key_usage", openssl: 26 } },
  { name: "a serverAuth-only leaf used for serverAuth", leaf: "serverOnly", intermediates: I, roots: R, purpose: "serverAuth" },
  { name: "a serverAuth-only intermediate used for clientAuth", leaf: "underServerEku", intermediates: ["interServerEku"], roots: R, purpose: "clientAuth", reject: { reason: "ext_key_usage", openssl: 26 } },
  { name: "a serverAuth-only intermediate used for serverAuth", leaf: "underServerEku", intermediates: ["interServerEku"], roots: R, purpose: "serverAuth" },
  { name: "an anyExtendedKeyUsage-only intermediate used for clientAuth", leaf: "underAnyEku", intermediates: ["interAnyEku"], roots: R, purpose: "clientAuth", reject: { reason: "ext_key_usage", openssl: 26 } },
  { name: "a leaf whose keyUsage lacks digitalSignature used for clientAuth", leaf: "kuKeyEnc", intermediates: I, roots: R, purpose: "clientAuth", reject: { reason: "key_usage", openssl: 26 } },
  { name: "a leaf inside a URI name constraint", leaf: "ncOk", intermediates: ["interNc"], roots: R },
  { name: "a leaf outside a URI name constraint", leaf: "ncOutside", intermediates: ["interNc"], roots: R, reject: { reason: "name_constraints", openssl: 47 } },
  { name: "a subdomain leaf under an exact-host URI constraint", leaf: "ncSub", intermediates: ["interNc"], roots: R, reject: { reason: "name_constraints", openssl: 47 } },
  { name: "a subdomain leaf under a \".host\" URI constraint", leaf: "ncSubDot", intermediates: ["interNcDot"], roots: R },
  { name: "the apex host under a \".host\" URI constraint", leaf: "ncApexDot", intermediates: ["interNcDot"], roots: R, reject: { reason: "name_constraints", openssl: 47 } },
  { name: "a leaf inside an excluded URI subtree", leaf: "ncExcluded", intermediates: ["interNcEx"], roots: R, reject: { reason: "name_constraints", openssl: 48 } },
  { name: "a leaf inside a DNS name constraint", leaf: "dnsOk", intermediates: ["interDns"], roots: R },
  { name: "a leaf outside a DNS name constraint", leaf: "dnsBad", intermediates: ["interDns"], roots: R, reject: { reason: "name_constraints", openssl: 47 } },
  { name: "a sub-CA below a pathLen 0 intermediate", leaf: "underSub", intermediates: ["subCa", "interPath0"], roots: R, reject: { reason: "path_len_exceeded", openssl: 25 } },
  { name: "a leaf directly below a pathLen 0 intermediate", leaf: "underPath0", intermediates: ["interPath0"], roots: R },
  { name: "an intermediate with cA=false", leaf: "underNotCa", intermediates: ["interNotCa"], roots: R, reject: { reason: "not_ca", openssl: 79 } },
  { name: "an intermediate whose keyUsage lacks keyCertSign", leaf: "underNoKcs", intermediates: ["interNoKcs"], roots: R, reject: { reason: "key_usage", openssl: 32 } },
  { name: "a leaf with a flipped signature byte", leaf: "badSig", intermediates: I, roots: R, reject: { reason: "bad_signature", openssl: 7 } },
  { name: "a root with a flipped self-signature byte (openssl -check_ss_sig)", leaf: "good", intermediates: I, roots: ["badRoot"], flags: ["-check_ss_sig"], reject: { reason: "bad_signature", openssl: 7 } },
  { name: "a leaf with an unknown critical extension", leaf: "critical", intermediates: I, roots: R, reject: { reason: "unhandled_critical_extension", openssl: 34 } },
  { name: "a leaf issued by a root that is not trusted", leaf: "untrusted", intermediates: [], roots: R, reject: { reason: "untrusted", openssl: 20 } },
  { name: "a chain ending at a self-signed root that is not trusted", leaf: "untrusted", intermediates: ["otherRoot"], roots: R, reject: { reason: "untrusted", openssl: 19 } },
  { name: "a chain missing its intermediate", leaf: "good", intermediates: [], roots: R, reject: { reason: "untrusted", openssl: 20 } },
];

function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function derToPem(der: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN CERTIFICATE-----\n${
    b64.match(/.{1,64}/g)!.join("\n")
  }\n-----END CERTIFICATE-----\n`;
}

/** Copy `<from>.pem` to `<to>.pem` with the last signature byte flipped. */
async function flipSignature(pki: OpensslPki, from: string, to: string) {
  const der = pemToDer(await Deno.readTextFile(pki.pem(from)));
  der[der.length - 1] ^= 0x01; // inside the signature value: DER stays valid
  await writeFiles(pki.dir, { [`${to}.pem`]: derToPem(der) });
}

async function buildPki(pki: OpensslPki): Promise<void> {
  await Promise.all(SPECS.map(([name, s]) => pki.key(name, s.alg)));
  for (const [name, spec] of SPECS) await pki.issue(name, spec); // one CA db
  await flipSignature(pki, "good", "badSig");
  await flipSignature(pki, "root", "badRoot");
}

interface OpensslVerdict {
  ok: boolean;
  errors: { code: number; depth: number }[];
  out: string;
}

async function opensslVerify(
  pki: OpensslPki,
  c: Case,
): Promise<OpensslVerdict> {
  const bundle = async (names: string[], file: string) => {
    const pems = await Promise.all(
      names.map((n) => Deno.readTextFile(pki.pem(n))),
    );
    await writeFiles(pki.dir, { [file]: pems.join("") });
    return file;
  };
  const args = [
    "verify",
    "-no-CApath",
    "-no-CAstore",
    "-attime",
    `${AT / 1000}`,
  ];
  args.push("-CAfile", await bundle(c.roots, "case-roots.pem"));
  if (c.intermediates.length > 0) {
    args.push(
      "-untrusted",
      await bundle(c.intermediates, "case-untrusted.pem"),
    );
  }
  if (c.purpose && c.purpose !== "any") {
    args.push(
      "-purpose",
      c.purpose === "clientAuth" ? "sslclient" : "sslserver",
    );
  }
  args.push(...c.flags ?? [], pki.pem(c.leaf));
  const res = await openssl(pki.dir, args);
  const out = res.stdout + res.stderr;
  const errors = [...out.matchAll(/error (\d+) at (\d+) depth/g)].map((m) => ({
    code: Number(m[1]),
    depth: Number(m[2]),
  }));
  return { ok: res.code === 0 && /: OK\s*$/m.test(out), errors, out };
}

async function ourVerdict(
  pki: OpensslPki,
  c: Case,
): Promise<ChainError | undefined> {
  const read = (n: string) => Deno.readTextFile(pki.pem(n));
  try {
    await verifyChain(
      await read(c.leaf),
      await Promise.all(c.intermediates.map(read)),
      await Promise.all(c.roots.map(read)),
      { at: AT, purpose: c.purpose, maxClockSkewMs: c.skewMs },
    );
    return undefined;
  } catch (err) {
    if (err instanceof ChainError) return err;
    throw err;
  }
}

Deno.test("verifyChain agrees with openssl verify on verdict, reason and depth", async (t) => {
  await withTempDir(async (dir) => {
    const pki = await OpensslPki.create(dir);
    await buildPki(pki);
    for (const c of CASES) {
      await t.step(
        `${c.reject ? "rejects" : "accepts"} ${c.name}`,
        async () => {
          const ossl = await opensslVerify(pki, c);
          const ours = await ourVerdict(pki, c);
          if (!c.reject) {
            assert.ok(ossl.ok, `openssl rejected:\n${ossl.out}`);
            assert.equal(ours, undefined, `we rejected: ${ours?.message}`);
            return;
          }
          assert.ok(!ossl.ok, `openssl accepted:\n${ossl.out}`);
          assert.ok(ours, "we accepted a chain openssl rejects");
          assert.equal(ours.code, "CHAIN_INVALID");
          assert.equal(ours.reason, c.reject.reason, ours.message);
          const hit = ossl.errors.find((e) => e.code === c.reject!.openssl);
          assert.ok(
            hit,
            `openssl did not report error ${c.reject.openssl}:\n${ossl.out}`,
          );
          assert.equal(
            ours.depth,
            hit.depth,
            `depth: ${ours.message}\n${ossl.out}`,
          );
          assert.ok(
            ours.message.includes(JSON.stringify(ours.subject)),
            ours.message,
          );
        },
      );
    }
  });
});
