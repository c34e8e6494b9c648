/**
 * Start-up cost of `src/pki`, measured inside fresh processes (`deno eval`)
 * so module loading is cold each time: the time to import `mod.ts`, the
 * time of a first createSelfSignedCa + CSR + issue + parse + caHash, and,
 * for comparison, importing `_x509.ts` (`@peculiar/x509`, which `_lazy.ts`
 * now keeps off that path). Prints min / median / max in ms.
 *
 * Run: `npx -y deno@2.9.6 run -A src/pki/import_bench.ts [runs=9]`
 * (a script, not `deno bench`: its timer cannot see a child's own clock).
 * @module
 */
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);

const PROBE = `
const t0 = performance.now();
const pki = await import(${url("./mod.ts")});
const t1 = performance.now();
const ca = await pki.createSelfSignedCa({ subject: { CN: "Root" }, ttlMs: 86_400_000 });
const keys = await pki.generateKeyPair();
const csr = await pki.parseCsrDer(await pki.createCsr({ keys, subject: { CN: "system:node:a" } }));
const leaf = await pki.issueCertificate({
  issuer: ca, subjectPublicKey: csr.publicKey, profile: "leaf", subject: csr.subject,
  extKeyUsages: ["clientAuth"], ttlMs: 3_600_000,
});
pki.parseCertificateDer(leaf.der);
await pki.caHash(ca.cert.der);
const t2 = performance.now();
await import(${url("./_x509.ts")});
const t3 = performance.now();
console.log(JSON.stringify({ import: t1 - t0, flow: t2 - t1, x509: t3 - t2 }));
`;

type Sample = Record<"import" | "flow" | "x509", number>;

async function sample(): Promise<Sample> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", CONFIG, "--ext", "ts", PROBE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 9);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await sample());
  for (const key of ["import", "flow", "x509"] as const) {
    const v = samples.map((s) => s[key]).sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(1).padStart(7);
    console.log(
      `${key.padEnd(7)} min ${f(v[0])}  median ${
        f(v[Math.floor(v.length / 2)])
      }  max ${f(v[v.length - 1])}  ms (${runs} runs)`,
    );
  }
}
