/**
 * Test fixture: a real hub on loopback (ephemeral port, admin socket and
 * state dir in a temp dir), and real `openssl` / `curl` runs against it.
 * @module
 */
import { parseConfig } from "../../src/config/mod.ts";
import {
  type Hub,
  type HubServerOptions,
  startHubServer,
} from "../../src/hubserver/mod.ts";
import { sha256Hex } from "../../src/bytes.ts";

/** A started hub and its temp dir. */
export interface TestHub extends AsyncDisposable {
  hub: Hub;
  dir: string;
  stateDir: string;
  caFile: string;
  configFile: string;
}

/** Start a hub; `yaml` adds config lines (stateDir and admin socket are set). */
export async function startTestHub(
  yaml = "",
  options: HubServerOptions = {},
): Promise<TestHub> {
  const dir = await Deno.makeTempDir({ prefix: "edge-hub-test-" });
  const stateDir = `${dir}/state`;
  const text =
    `stateDir: ${stateDir}\nadmin:\n  socketPath: ${dir}/admin.sock\n${yaml}`;
  const configFile = `${dir}/hub.yaml`;
  await Deno.writeTextFile(configFile, text);
  const config = parseConfig("hub", text);
  const hub = await startHubServer(config, {
    enrollListen: { hostname: "127.0.0.1", port: 0 },
    websocketListen: { hostname: "127.0.0.1", port: 0 },
    ...options,
  });
  const caFile = `${dir}/ca.pem`;
  await Deno.writeTextFile(caFile, hub.caPem);
  return {
    hub,
    dir,
    stateDir,
    caFile,
    configFile,
    async [Symbol.asyncDispose]() {
      await hub.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Result of a process run. */
export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  text: string;
}

/** Run a program; never throws on non-zero exit. */
export async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<RunResult> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: dec.decode(out.stderr),
    text: dec.decode(out.stdout),
  };
}

/** Make a P-256 key and a DER CSR with `subject` in `dir` with openssl. */
export async function makeCsr(
  dir: string,
  name: string,
  subject: string,
): Promise<{ key: string; csr: string }> {
  const key = `${dir}/${name}.key`;
  const csr = `${dir}/${name}.csr.der`;
  const r = await run("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-subj",
    subject,
    "-outform",
    "DER",
    "-out",
    csr,
  ]);
  if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { key, csr };
}

/** A node CSR subject as edgecore sends it. */
export function nodeSubject(node: string): string {
  return `/O=system:nodes/CN=system:node:${node}`;
}

/** Options of {@link curl}. */
export interface CurlOptions {
  method?: string;
  path: string;
  bodyFile?: string;
  headers?: Record<string, string>;
  cert?: string;
  key?: string;
  out?: string;
}

/** Call the hub with real curl; returns status, body and headers. */
export async function curl(
  t: TestHub,
  o: CurlOptions,
): Promise<
  { status: number; body: Uint8Array; headers: string; text: string }
> {
  const headersFile = `${t.dir}/h-${crypto.randomUUID()}`;
  const bodyFile = o.out ?? `${t.dir}/b-${crypto.randomUUID()}`;
  const args = [
    "-sS",
    "-X",
    o.method ?? "GET",
    "--cacert",
    t.caFile,
    "-D",
    headersFile,
    "-o",
    bodyFile,
    "-w",
    "%{http_code}",
  ];
  if (o.bodyFile) args.push("--data-binary", `@${o.bodyFile}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    args.push("-H", `${k}: ${v}`);
  }
  if (o.cert) args.push("--cert", o.cert, "--key", o.key!);
  args.push(`${t.hub.enrollUrl}${o.path}`);
  const r = await run("curl", args);
  if (r.code !== 0) throw new Error(`curl failed: ${r.stderr}`);
  const body = await Deno.readFile(bodyFile).catch(() => new Uint8Array());
  return {
    status: Number(r.text.trim()),
    body,
    headers: await Deno.readTextFile(headersFile),
    text: new TextDecoder().decode(body),
  };
}

/** SHA-256 of every file in the state dir except the audit log, by name. */
export async function stateSnapshot(
  stateDir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(stateDir)) {
    if (!e.isFile || e.name === "audit.log" || e.name === ".lock") continue;
    out[e.name] = await sha256Hex(await Deno.readFile(`${stateDir}/${e.name}`));
  }
  return out;
}

/** Parsed audit lines. */
export async function auditLines(
  t: TestHub,
): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(t.hub.auditPath);
  return text.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
}

/** Write DER bytes as PEM certificate(s) file. */
export async function writePem(path: string, der: Uint8Array): Promise<void> {
  const { parseCertificateChainDer, encodeCertificatePem } = await import(
    "../../src/pki/mod.ts"
  );
  const pem = parseCertificateChainDer(der).map((c) => encodeCertificatePem(c))
    .join("");
  await Deno.writeTextFile(path, pem);
}
