/**
 * Run the real `openssl` CLI from tests, in a temporary directory that is
 * removed afterwards.
 * @module
 */

/** Result of one openssl run. */
export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `openssl <args>` in `cwd`; never throws on a non-zero exit. */
export async function openssl(
  cwd: string,
  args: string[],
  stdin?: string,
): Promise<OpensslResult> {
  const child = new Deno.Command("openssl", {
    args,
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Run `fn` with a fresh temp dir that is removed afterwards. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "edge-pki-openssl-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Write text files into `dir`. */
export async function writeFiles(
  dir: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
}

// --- a throw-away PKI made by `openssl ca` (used by verify_test.ts) ---

/** Like {@link openssl}, but throws (with openssl's output) unless it exits 0. */
export async function mustOpenssl(
  cwd: string,
  args: string[],
): Promise<OpensslResult> {
  const res = await openssl(cwd, args);
  if (res.code !== 0) {
    throw new Error(
      `openssl ${
        args.join(" ")
      } exited ${res.code}:\n${res.stdout}${res.stderr}`,
    );
  }
  return res;
}

/** Key algorithms the fixture can generate. */
export type KeyAlg = "P-256" | "P-384" | "RSA-2048";

/** One certificate to issue. */
export interface CertSpec {
  /** Common name of the subject. */
  cn: string;
  /** Name of the issuing certificate; omitted = self-signed. */
  issuer?: string;
  /** Extension lines (openssl x509v3 config syntax). */
  ext: string;
  /** @default "P-256" */
  alg?: KeyAlg;
  /** ASN.1 time (YYYYMMDDHHMMSSZ). @default "20200101000000Z" */
  start?: string;
  /** ASN.1 time. @default "20400101000000Z" */
  end?: string;
}

const CA_CNF = `[ca]
default_ca = CA_default
[CA_default]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
`;

const KEY_ARGS: Record<KeyAlg, string[]> = {
  "P-256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  "P-384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  "RSA-2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
};

/** A CA database in `dir`; certificates are files `<name>.pem`. */
export class OpensslPki {
  /** Working directory holding keys, certificates and the CA database. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Set up the `openssl ca` database in `dir`. */
  static async create(dir: string): Promise<OpensslPki> {
    await writeFiles(dir, {
      "ca.cnf": CA_CNF,
      "index.txt": "",
      "serial": "1000\n",
    });
    await Deno.mkdir(`${dir}/newcerts`);
    return new OpensslPki(dir);
  }

  /** Generate `<name>.key` (independent of the CA database: safe in parallel). */
  async key(name: string, alg: KeyAlg = "P-256"): Promise<void> {
    await mustOpenssl(this.dir, [
      "genpkey",
      ...KEY_ARGS[alg],
      "-out",
      `${name}.key`,
    ]);
  }

  /**
   * Issue `<name>.pem` per `spec` (its key `<name>.key` must exist). Calls
   * must not overlap: `openssl ca` updates one database. Returns the PEM.
   */
  async issue(name: string, spec: CertSpec): Promise<string> {
    const cwd = this.dir;
    await writeFiles(cwd, { [`${name}.ext`]: `[ext]\n${spec.ext}\n` });
    await mustOpenssl(cwd, [
      "req",
      "-new",
      "-config",
      "ca.cnf",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${spec.cn}`,
      "-out",
      `${name}.csr`,
    ]);
    const signer = spec.issuer
      ? ["-cert", `${spec.issuer}.pem`, "-keyfile", `${spec.issuer}.key`]
      : ["-selfsign", "-keyfile", `${name}.key`];
    await mustOpenssl(cwd, [
      "ca",
      "-batch",
      "-notext",
      "-config",
      "ca.cnf",
      ...signer,
      "-in",
      `${name}.csr`,
      "-out",
      `${name}.pem`,
      "-startdate",
      spec.start ?? "20200101000000Z",
      "-enddate",
      spec.end ?? "20400101000000Z",
      "-extfile",
      `${name}.ext`,
      "-extensions",
      "ext",
    ]);
    return await Deno.readTextFile(`${cwd}/${name}.pem`);
  }

  /** Path of `<name>.pem`. */
  pem(name: string): string {
    return `${this.dir}/${name}.pem`;
  }
}
