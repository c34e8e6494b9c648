/**
 * Interop with ghostunnel (a TLS proxy that takes its certificates and trust
 * bundle from the SPIFFE Workload API through go-spiffe's X509Source): a
 * ghostunnel server and a ghostunnel client, each under its own uid and so
 * attested to its own SPIFFE ID, tunnel a plain TCP echo service over mTLS on
 * loopback; ghostunnel's URI SAN checks refuse an SVID it was not told to
 * allow; and with a TTL of seconds ghostunnel serves the rotated SVIDs our
 * stream pushes. ghostunnel is built by scripts/interop-deps.sh from
 * tests/interop/ghostunnel (Go module proxy, pinned go.sum). Needs root (for
 * setpriv).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  run,
  startTestApi,
  TD,
  type TestApi,
} from "../workloadapi/_harness.ts";
import {
  type Certificate,
  encodeCertificatePem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
  issueCertificate,
  parseCertificateChain,
} from "../../src/pki/mod.ts";
import { bytesEqual } from "../../src/bytes.ts";

const DEPS = new URL("../../scripts/interop-deps.sh", import.meta.url).pathname;
const SERVER_UID = 65531;
const CLIENT_UID = 65532;
const SERVER_ID = `spiffe://${TD}/server`;
const CLIENT_ID = `spiffe://${TD}/client`;
const HOST = "127.0.0.1";

let binary: string | undefined;

/** Build (once, cached) ghostunnel through the project's script. */
async function ghostunnelBinary(): Promise<string> {
  if (binary) return binary;
  const out = await new Deno.Command("bash", {
    args: [DEPS, "ghostunnel"],
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error("scripts/interop-deps.sh ghostunnel failed");
  }
  binary = `${new TextDecoder().decode(out.stdout).trim()}/bin/ghostunnel`;
  return binary;
}

/** The two entries: each uid gets only its own SVID. */
function entries() {
  return [
    { spiffeId: SERVER_ID, selectors: [`unix:uid:${SERVER_UID}`] },
    { spiffeId: CLIENT_ID, selectors: [`unix:uid:${CLIENT_UID}`] },
  ];
}

/** A port free on 127.0.0.1 right now. */
function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A plain TCP echo service on 127.0.0.1 counting the bytes it received. */
interface EchoBackend extends AsyncDisposable {
  port: number;
  received(): number;
}

function startEcho(): EchoBackend {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const conns = new Set<Deno.Conn>();
  const pipes: Promise<void>[] = [];
  let received = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      pipes.push(
        conn.readable
          .pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, c) {
                received += chunk.length;
                c.enqueue(chunk);
              },
            }),
          )
          .pipeTo(conn.writable)
          .catch(() => {})
          .finally(() => conns.delete(conn)),
      );
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received: () => received,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await Promise.all(pipes);
    },
  };
}

/** A ghostunnel process run as `uid`, its log kept. */
interface Ghostunnel extends AsyncDisposable {
  log(): string;
}

async function startGhostunnel(
  uid: number,
  args: string[],
  statusPort: number,
): Promise<Ghostunnel> {
  const bin = await ghostunnelBinary();
  const child = new Deno.Command("setpriv", {
    args: [
      "--reuid",
      String(uid),
      "--regid",
      String(uid),
      "--clear-groups",
      bin,
      ...args,
      "--status",
      `http://${HOST}:${statusPort}`,
    ],
    env: { HOME: "/" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // ghostunnel logs on stdout, startup errors go to stderr.
  let log = "";
  const draining = Promise.all(
    [child.stdout, child.stderr].map((s) =>
      s.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (t) => void (log += t) }),
      ).catch(() => {})
    ),
  );
  const g: Ghostunnel = {
    log: () => log,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await draining;
    },
  };
  // Ready once ghostunnel reports that it listens, which it does only after
  // go-spiffe's X509Source got its first SVID from our socket.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await fetch(`http://${HOST}:${statusPort}/_status`)
      .then((r) => r.json() as Promise<{ message?: string }>)
      .catch(() => ({ message: "down" }));
    if (state.message === "listening") return g;
    if (Date.now() > deadline) {
      await g[Symbol.asyncDispose]();
      throw new Error(`ghostunnel ${args[0]} not ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wait until `g` has logged `text` (ghostunnel logs after acting). */
async function logged(g: Ghostunnel, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!g.log().includes(text)) {
    ok(Date.now() < deadline, `ghostunnel never logged "${text}": ${g.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * ghostunnel with its SVID from the API, from `listen` to `target` (both on
 * loopback): a server (TLS in, plain TCP out) under the server uid that
 * admits `peer`, or a client (plain TCP in, TLS out) under the client uid
 * that requires the server to be `peer`.
 */
function tunnel(
  role: "server" | "client",
  t: TestApi,
  listen: number,
  target: number,
  peer: string,
): Promise<Ghostunnel> {
  return startGhostunnel(role === "server" ? SERVER_UID : CLIENT_UID, [
    role,
    "--use-workload-api-addr",
    `unix://${t.socket}`,
    "--listen",
    `${HOST}:${listen}`,
    "--target",
    `${HOST}:${target}`,
    role === "server" ? "--allow-uri" : "--verify-uri",
    peer,
  ], freePort());
}
const server = (t: TestApi, listen: number, target: number, allow: string) =>
  tunnel("server", t, listen, target, allow);
const client = (t: TestApi, listen: number, target: number) =>
  tunnel("client", t, listen, target, SERVER_ID);

/**
 * Write `data` to 127.0.0.1:`port` and read until as many bytes came back or
 * the peer closed; returns what came back.
 */
async function roundTrip(port: number, data: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: HOST, port });
  const timer = setTimeout(() => conn.close(), 15_000);
  const got = new Uint8Array(data.length);
  let n = 0;
  try {
    const writing = conn.write(data).then(async (w) => {
      for (let off = w; off < data.length;) {
        off += await conn.write(data.subarray(off));
      }
    }).catch(() => {});
    while (n < data.length) {
      const r = await conn.read(got.subarray(n)).catch(() => null);
      if (r === null) break;
      n += r;
    }
    await writing;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
  return got.subarray(0, n);
}

function payload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let off = 0; off < size; off += 65_536) {
    crypto.getRandomValues(out.subarray(off, Math.min(size, off + 65_536)));
  }
  return out;
}

/** Files for openssl: the bundle, and a client SVID issued by the test CA. */
async function opensslFiles(t: TestApi, dir: string) {
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    issuer: t.intermediate,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    uris: [CLIENT_ID],
    extKeyUsages: ["serverAuth", "clientAuth"],
    ttlMs: 120_000,
  });
  const files = {
    bundle: `${dir}/bundle.pem`,
    cert: `${dir}/client.pem`,
    key: `${dir}/client.key`,
    chain: `${dir}/client-chain.pem`,
  };
  await Deno.writeTextFile(files.bundle, encodeCertificatePem(t.ca.root.cert));
  await Deno.writeTextFile(files.cert, encodeCertificatePem(cert));
  await Deno.writeTextFile(
    files.key,
    await encodePrivateKeyPkcs8Pem(keys.privateKey),
  );
  await Deno.writeTextFile(
    files.chain,
    encodeCertificatePem(t.intermediate.cert),
  );
  return files;
}

/** The chain ghostunnel's server presents, fetched with `openssl s_client`. */
async function serverChain(
  port: number,
  f: Awaited<ReturnType<typeof opensslFiles>>,
): Promise<Certificate[]> {
  const r = await run([
    "openssl",
    "s_client",
    "-connect",
    `${HOST}:${port}`,
    "-cert",
    f.cert,
    "-key",
    f.key,
    "-cert_chain",
    f.chain,
    "-showcerts",
  ], 15_000);
  const chain = parseCertificateChain(r.stdout);
  ok(chain.length > 0, `s_client got no certificate: ${r.stderr}`);
  return chain;
}

/** `openssl verify -CAfile bundle -untrusted intermediate leaf` accepts it. */
async function opensslVerifies(
  chain: Certificate[],
  f: Awaited<ReturnType<typeof opensslFiles>>,
  dir: string,
): Promise<void> {
  const leaf = `${dir}/leaf-${chain[0].serialHex}.pem`;
  const inter = `${dir}/inter-${chain[0].serialHex}.pem`;
  await Deno.writeTextFile(leaf, encodeCertificatePem(chain[0]));
  await Deno.writeTextFile(
    inter,
    chain.slice(1).map((c) => encodeCertificatePem(c)).join(""),
  );
  const r = await run([
    "openssl",
    "verify",
    "-CAfile",
    f.bundle,
    "-untrusted",
    inter,
    leaf,
  ], 15_000);
  assertEquals(r.code, 0, r.stdout + r.stderr);
}

Deno.test("a ghostunnel client and server under different uids tunnel TCP over mTLS with the SVIDs they each fetched from our Workload API", async () => {
  await using t = await startTestApi(entries());
  await using echo = startEcho();
  const tls = freePort();
  const plain = freePort();
  await using srv = await server(t, tls, echo.port, CLIENT_ID);
  await using cli = await client(t, plain, tls);
  const data = payload(256 * 1024);
  const back = await roundTrip(plain, data);
  ok(
    bytesEqual(back, data),
    `echoed ${back.length}/${data.length} bytes\nserver: ${srv.log()}\nclient: ${cli.log()}`,
  );
  assertEquals(echo.received(), data.length);
});

Deno.test("a ghostunnel server that allows only another SPIFFE ID refuses the client's SVID, and no byte reaches the backend", async () => {
  await using t = await startTestApi(entries());
  await using echo = startEcho();
  const tls = freePort();
  const plain = freePort();
  await using srv = await server(
    t,
    tls,
    echo.port,
    `spiffe://${TD}/someone-else`,
  );
  await using cli = await client(t, plain, tls);
  const back = await roundTrip(plain, payload(1024));
  assertEquals(back.length, 0, "the tunnel echoed through a refused client");
  assertEquals(echo.received(), 0);
  // ghostunnel's access check (--allow-uri) is what failed the handshake.
  await logged(
    srv,
    "unauthorized: invalid principal, or principal not allowed",
  );
  await logged(cli, "tls: bad certificate");
});

Deno.test("ghostunnel serves the SVIDs our stream rotates: a new verifying server certificate, and the tunnel still works after the first SVIDs expired", async () => {
  const ttlMs = 4_000;
  await using t = await startTestApi(entries(), { svidTtlMs: ttlMs });
  await using echo = startEcho();
  const dir = await Deno.makeTempDir({ prefix: "ghostunnel-" });
  try {
    const files = await opensslFiles(t, dir);
    const tls = freePort();
    const plain = freePort();
    await using srv = await server(t, tls, echo.port, CLIENT_ID);
    await using cli = await client(t, plain, tls);
    // Every SVID either process holds now was issued before this instant.
    const firstSvidsExpire = Date.now() + ttlMs;
    const logs = () => `\nserver: ${srv.log()}\nclient: ${cli.log()}`;
    const data = payload(4096);
    ok(bytesEqual(await roundTrip(plain, data), data), "echo" + logs());

    const first = await serverChain(tls, files);
    assertEquals(first[0].uris, [SERVER_ID]);
    assertEquals(first.length, 2);
    ok(bytesEqual(first[1].der, t.intermediate.cert.der));
    await opensslVerifies(first, files, dir);

    let next = first;
    const deadline = Date.now() + 20_000;
    while (next[0].serialHex === first[0].serialHex) {
      ok(Date.now() < deadline, "ghostunnel never served a rotated SVID");
      await new Promise((r) => setTimeout(r, 200));
      next = await serverChain(tls, files);
    }
    assertEquals(next[0].uris, [SERVER_ID]);
    ok(next[0].notAfter > first[0].notAfter);
    await opensslVerifies(next, files, dir);

    // Once the first SVIDs of both sides have expired, go-spiffe on each
    // side would reject them: the tunnel working shows both present fresh ones.
    await new Promise((r) =>
      setTimeout(r, Math.max(0, firstSvidsExpire + 250 - Date.now()))
    );
    ok(Date.now() > first[0].notAfter.getTime());
    ok(bytesEqual(await roundTrip(plain, data), data), "echo" + logs());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
