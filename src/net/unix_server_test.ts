import { assert, assertEquals } from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import { concat } from "../bytes.ts";
import { peerCredentials } from "../workloadapi/peercred.ts";
import { listenUnix, type UnixConnection } from "./unix_server.ts";

/** CPU time of this process (all threads), in ms. */
function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
}

async function readAll(conn: Deno.UnixConn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return concat(...parts);
}

Deno.test("connections are echoed concurrently, each fd carries the caller's SO_PEERCRED, and close waits for the last connection", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const conns: UnixConnection[] = [];
  const creds: { pid: number; uid: number; gid: number }[] = [];
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      conns.push(c);
      creds.push(peerCredentials(c.fd));
      c.on("data", (b) => c.write(b));
    },
  });
  const clients = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const conn = await Deno.connect({ transport: "unix", path });
      const msg = new TextEncoder().encode(`hello ${i} `.repeat(i + 1));
      await conn.write(msg);
      const got = new Uint8Array(msg.length);
      let at = 0;
      while (at < msg.length) {
        const n = await conn.read(got.subarray(at));
        assert(n !== null);
        at += n;
      }
      assertEquals(got, msg);
      return conn;
    }),
  );
  assertEquals(conns.length, 40);
  for (const c of creds) {
    assertEquals(c, { pid: Deno.pid, uid: Deno.uid()!, gid: Deno.gid()! });
  }
  let closed = false;
  const done = server.close().then(() => closed = true);
  // no new connections once closing
  const refused = await Deno.connect({ transport: "unix", path }).then(
    (c) => (c.close(), false),
    () => true,
  );
  assert(refused, "a connection was accepted after close()");
  await new Promise((r) => setTimeout(r, 20));
  assert(!closed, "close() resolved while connections were open");
  for (const c of clients) c.close();
  await done;
  assert(conns.every((c) => c.closed));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a write larger than the socket buffer is queued and arrives whole and in order; end() sends it all before ending", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const big = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 13)) & 0xff;
  const closes: string[] = [];
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      c.on("close", () => closes.push("closed"));
      c.write(big.subarray(0, 3));
      c.write(big.subarray(3)); // far more than the kernel takes at once
      c.write(Uint8Array.of(1, 2, 3));
      c.end();
      c.write(Uint8Array.of(9)); // ignored after end()
    },
  });
  const conn = await Deno.connect({ transport: "unix", path });
  await new Promise((r) => setTimeout(r, 50)); // let the queue build up
  const got = await readAll(conn);
  assertEquals(got.length, big.length + 3);
  assertEquals(got.subarray(0, big.length), big);
  assertEquals([...got.subarray(big.length)], [1, 2, 3]);
  conn.close();
  await server.close();
  assertEquals(closes, ["closed"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a peer that goes away closes its connection once; destroy() closes at once", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const events: string[] = [];
  const accepted = Promise.withResolvers<UnixConnection>();
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      c.on("data", () => events.push("data"));
      c.on("close", () => events.push("close"));
      accepted.resolve(c);
    },
  });
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(Uint8Array.of(1));
  const c = await accepted.promise;
  await new Promise((r) => setTimeout(r, 20));
  conn.close();
  while (!c.closed) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(events, ["data", "close"]);
  c.destroy(); // idempotent
  c.write(Uint8Array.of(1)); // ignored once closed
  const second = Promise.withResolvers<UnixConnection>();
  const server2 = await listenUnix({
    path: `${dir}/t.sock`,
    onConnection: (x) => second.resolve(x),
  });
  const conn2 = await Deno.connect({
    transport: "unix",
    path: `${dir}/t.sock`,
  });
  const x = await second.promise;
  x.destroy();
  assertEquals(await conn2.read(new Uint8Array(1)), null);
  conn2.close();
  await Promise.all([server.close(), server2.close()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a path too long for a Unix socket or one that is taken is refused with SOCKET_FAILED naming it", async () => {
  const dir = await Deno.makeTempDir();
  const long = `${dir}/${"x".repeat(120)}.sock`;
  const err = await listenUnix({ path: long, onConnection: () => {} }).catch((
    e,
  ) => e);
  assert(isEdgeError(err, "SOCKET_FAILED"), String(err));
  assert(err.message.includes("at most 107"), err.message);
  const path = `${dir}/s.sock`;
  const server = await listenUnix({ path, onConnection: () => {} });
  const taken = await listenUnix({ path, onConnection: () => {} }).catch((
    e,
  ) => e);
  assert(isEdgeError(taken, "SOCKET_FAILED"), String(taken));
  assert(taken.message.includes(path) && taken.message.includes("EADDRINUSE"));
  await server.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a listener that throws closes only its connection and is reported; the server keeps serving", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const errors: string[] = [];
  let n = 0;
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      if (n++ === 0) throw new Error("bad connection handler");
      c.on("data", (b) => {
        if (b[0] === 0) throw new Error("bad data handler");
        c.write(b);
      });
    },
    onError: (e) => errors.push(e.message),
  });
  const first = await Deno.connect({ transport: "unix", path });
  assertEquals(await first.read(new Uint8Array(1)), null);
  first.close();
  const second = await Deno.connect({ transport: "unix", path });
  await second.write(Uint8Array.of(0));
  assertEquals(await second.read(new Uint8Array(1)), null);
  second.close();
  const third = await Deno.connect({ transport: "unix", path });
  await third.write(Uint8Array.of(7));
  const got = new Uint8Array(1);
  assertEquals(await third.read(got), 1);
  assertEquals(got[0], 7);
  third.close();
  await server.close();
  assertEquals(errors, ["bad connection handler", "bad data handler"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a peer that never reads is cut off once 16 MiB wait for it (the 8 MiB test above shows a reader under that gets everything)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const accepted = Promise.withResolvers<UnixConnection>();
  const server = await listenUnix({
    path,
    onConnection: (c) => accepted.resolve(c),
  });
  const conn = await Deno.connect({ transport: "unix", path });
  const c = await accepted.promise;
  const mib = new Uint8Array(1024 * 1024);
  let written = 0;
  while (!c.closed && written < 64) {
    c.write(mib);
    written++;
  }
  assert(c.closed, "the connection was not closed");
  // the kernel's socket buffers hold a little; the rest was queued up to 16 MiB
  assert(written >= 16 && written <= 20, `closed after ${written} MiB`);
  conn.close();
  await server.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a peer that half-closes still gets what was queued for it, and the server does not spin meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const big = new Uint8Array(4 * 1024 * 1024).fill(7);
  const accepted = Promise.withResolvers<UnixConnection>();
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      c.write(big); // more than the socket takes: most of it is queued
      accepted.resolve(c);
    },
  });
  const conn = await Deno.connect({ transport: "unix", path });
  const c = await accepted.promise;
  await conn.closeWrite(); // EOF to the server, while 4 MiB wait for us
  const cpu0 = cpuMs();
  await new Promise((r) => setTimeout(r, 300)); // we read nothing yet
  const spent = cpuMs() - cpu0;
  assert(!c.closed, "closed before the queue was sent");
  assert(spent < 100, `the process used ${spent} ms of CPU in 300 ms idle`);
  const got = await readAll(conn); // the server closes after the last byte
  assertEquals(got.length, big.length);
  assert(c.closed);
  conn.close();
  await server.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a peer that closes with data still queued for it is closed at once, without spinning", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const accepted = Promise.withResolvers<UnixConnection>();
  const server = await listenUnix({
    path,
    onConnection: (c) => {
      c.write(new Uint8Array(4 * 1024 * 1024));
      accepted.resolve(c);
    },
  });
  const conn = await Deno.connect({ transport: "unix", path });
  const c = await accepted.promise;
  const closed = new Promise<void>((r) => c.on("close", r));
  const cpu0 = cpuMs();
  conn.close();
  await closed;
  const spent = cpuMs() - cpu0;
  assert(spent < 100, `the process used ${spent} ms of CPU`);
  await server.close();
  await Deno.remove(dir, { recursive: true });
});
