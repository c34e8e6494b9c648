/**
 * The Workload API's HTTP/2 server connection and gRPC layer against a
 * real, independent client: Node.js's `node:http2` (nghttp2), which uses
 * Huffman coding, its dynamic table, CONTINUATION frames and flow control
 * as it likes.
 */
import * as net from "node:net";
import { assert, assertEquals } from "../_fixtures/assert.ts";
import {
  type GrpcMethod,
  GrpcStatus,
  H2ServerConnection,
  type H2Stream,
  serveGrpcStream,
  type StreamEnd,
} from "../../src/workloadapi/h2/mod.ts";
import { sha256Hex } from "../../src/bytes.ts";

const CLIENT = new URL("./_h2_client.cjs", import.meta.url).pathname;

/** Deterministic bytes for /big. */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i * 7);

interface TestServer extends AsyncDisposable {
  socket: string;
  connections: H2ServerConnection[];
  ends: StreamEnd[];
  held: H2Stream[];
}

/**
 * A server with three paths: /echo (request headers back as `echo-<name>`,
 * body back, trailer `x-trailer: done`), /big (`x-size` bytes), /hold (one
 * DATA frame, then nothing until the test acts).
 */
async function startServer(): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "h2-" });
  const socket = `${dir}/h2.sock`;
  const connections: H2ServerConnection[] = [];
  const ends: StreamEnd[] = [];
  const held: H2Stream[] = [];
  const onStream = (s: H2Stream) => {
    const chunks: Uint8Array[] = [];
    s.onData = (c) => chunks.push(c.slice());
    s.onClose = (how) => ends.push(how);
    const path = s.header(":path");
    if (path === "/hold") {
      s.respond([[":status", "200"]]);
      s.write(new Uint8Array([1, 2, 3]));
      held.push(s);
      return;
    }
    s.onEnd = () => {
      if (path === "/big") {
        s.respond([[":status", "200"]]);
        s.write(pattern(Number(s.header("x-size"))));
        s.end([]);
        return;
      }
      s.respond([
        [":status", "200"],
        ...s.headers.filter(([k]) => k.startsWith("x-")).map((
          [k, v],
        ) => [`echo-${k}`, v] as [string, string]),
      ]);
      for (const c of chunks) s.write(c);
      s.end([["x-trailer", "done"]]);
    };
  };
  const server = net.createServer((sock) => {
    connections.push(new H2ServerConnection(sock, { onStream }));
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    connections,
    ends,
    held,
    async [Symbol.asyncDispose]() {
      connections.forEach((c) => c.destroy());
      await new Promise((r) => server.close(r));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Run a client scenario; resolves with its JSON line (and any earlier lines). */
function client(socket: string, ...args: string[]) {
  const child = new Deno.Command("node", {
    args: [CLIENT, socket, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async line(): Promise<string> {
      while (!buf.includes("\n")) {
        const r = await lines.read();
        if (r.done) {
          const err = new TextDecoder().decode((await child.output()).stderr);
          throw new Error(`node client ended: ${err}`);
        }
        buf += r.value;
      }
      const i = buf.indexOf("\n");
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return l;
    },
    async result(): Promise<Record<string, unknown>> {
      const r = JSON.parse(await this.line());
      await lines.cancel();
      await child.status;
      return r;
    },
  };
}

Deno.test("40 concurrent requests with random headers (Huffman, dynamic table) and bodies up to 200 KB are echoed intact", async () => {
  await using s = await startServer();
  assertEquals(await client(s.socket, "echo", "40").result(), { ok: 40 });
  assert(s.ends.every((e) => e === "done"), s.ends.join());
});

Deno.test("a 1 MiB response reaches a client with a 16 KiB window intact: sending waits for its WINDOW_UPDATEs", async () => {
  await using s = await startServer();
  const n = 1 << 20;
  assertEquals(await client(s.socket, "big", String(n)).result(), {
    bytes: n,
    sha256: await sha256Hex(pattern(n)),
  });
});

Deno.test("header blocks above one frame arrive as CONTINUATION and are echoed back in CONTINUATION", async () => {
  await using s = await startServer();
  // the echo scenario's values are short; one big header on top
  const c = client(s.socket, "echo", "1");
  assertEquals(await c.result(), { ok: 1 });
  const big = await new Deno.Command("node", {
    args: [
      "-e",
      `const h=require("node:http2"),n=require("node:net");
       const s=h.connect("http://x",{createConnection:()=>n.connect(process.argv[1])});
       const v="y".repeat(40000);
       const r=s.request({":method":"POST",":path":"/echo","x-big":v});
       r.on("response",(hd)=>{console.log(hd["echo-x-big"]===v);s.close()});
       r.on("error",(e)=>{console.log(String(e));s.close()});
       r.resume();r.end();`,
      s.socket,
    ],
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(big.stdout).trim(), "true");
});

Deno.test("2,000 streams cancelled one after another leave the connection serving", async () => {
  await using s = await startServer();
  assertEquals(await client(s.socket, "cancel", "2000").result(), {
    cancelled: 2000,
    after: "yes",
  });
  assertEquals(s.ends.filter((e) => e === "reset").length, 2000);
  assertEquals(s.connections.length, 1);
});

Deno.test("a PING is answered with the same payload", async () => {
  await using s = await startServer();
  assertEquals(await client(s.socket, "ping").result(), {
    error: null,
    payload: "12345678",
  });
});

Deno.test("after GOAWAY an open stream still completes, then the server ends the connection", async () => {
  await using s = await startServer();
  const c = client(s.socket, "goaway");
  assertEquals(await c.line(), "held");
  const conn = s.connections[0];
  conn.goaway();
  s.held[0].write(new Uint8Array(10));
  s.held[0].end([]);
  assertEquals(await c.result(), {
    goaway: { code: 0, last: 1 },
    bytes: 13,
    closed: true,
  });
  assert(conn.closed);
});

/** gRPC layer: a server whose one method echoes its request, or fails as asked. */
async function startGrpcServer(): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "grpc-" });
  const socket = `${dir}/grpc.sock`;
  const connections: H2ServerConnection[] = [];
  const methods = new Map<string, GrpcMethod<Uint8Array, Uint8Array>>([
    ["/t.T/Echo", {
      responseStream: false,
      decode: (b) => {
        if (b[0] === 0xff) throw new RangeError("malformed");
        return b.slice();
      },
      encode: (m) => m,
      handle(call) {
        const text = new TextDecoder().decode(call.request);
        if (text === "throw") throw new Error("handler bug");
        if (text.startsWith("fail:")) {
          call.fail(GrpcStatus.PERMISSION_DENIED, text.slice(5));
          return;
        }
        call.write(call.request);
        call.end();
      },
    }],
  ]);
  const server = net.createServer((sock) => {
    connections.push(
      new H2ServerConnection(sock, {
        onStream: (s) =>
          serveGrpcStream(s, methods, {
            maxRequestBytes: 1000,
            onError: () => {},
          }),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    connections,
    ends: [],
    held: [],
    async [Symbol.asyncDispose]() {
      connections.forEach((c) => c.destroy());
      await new Promise((r) => server.close(r));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const grpcMessage = (hex: string) =>
  (hex.length / 2).toString(16).padStart(8, "0") + hex;
const textHex = (s: string) =>
  [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");

Deno.test("gRPC: a unary call is answered with headers, the framed message and grpc-status 0 trailers", async () => {
  await using s = await startGrpcServer();
  const body = "00" + grpcMessage(textHex("hi"));
  assertEquals(
    await client(s.socket, "raw", "POST", "/t.T/Echo", "application/grpc", body)
      .result(),
    { status: 200, headers: {}, trailers: { "grpc-status": "0" }, body },
  );
});

Deno.test("gRPC: refusals are Trailers-Only with the status the gRPC protocol names, messages percent-encoded", async () => {
  await using s = await startGrpcServer();
  const call = async (
    path: string,
    body: string,
    type = "application/grpc+proto",
    method = "POST",
  ) => await client(s.socket, "raw", method, path, type, body).result();
  const only = (code: number, message: string) => ({
    status: 200,
    headers: { "grpc-status": String(code), "grpc-message": message },
    trailers: {},
    body: "",
  });
  const msg = (text: string) => "00" + grpcMessage(textHex(text));
  assertEquals(
    await call("/t.T/Nope", msg("x")),
    only(12, "unknown method /t.T/Nope"),
  );
  assertEquals(
    await call("/t.T/Echo", msg("fail:no 100% ✓")),
    only(7, "no 100%25 %E2%9C%93"),
  );
  assertEquals(await call("/t.T/Echo", ""), only(13, "no request message"));
  assertEquals(
    await call("/t.T/Echo", msg("a") + msg("b")),
    only(13, "expected exactly one request message"),
  );
  assertEquals(
    await call("/t.T/Echo", "01" + grpcMessage("00")),
    only(12, "compressed messages are not supported"),
  );
  assertEquals(
    await call("/t.T/Echo", "00" + grpcMessage("ff")),
    only(13, "could not decode the request message"),
  );
  assertEquals(
    await call("/t.T/Echo", msg("x".repeat(2000))),
    only(8, "request message too large"),
  );
  assertEquals(
    await call("/t.T/Echo", msg("throw")),
    only(13, "internal error"),
  );
  const plain = await call("/t.T/Echo", msg("x"), "text/plain");
  assertEquals(plain.status, 415);
  const put = await call("/t.T/Echo", msg("x"), "application/grpc", "PUT");
  assertEquals(put.status, 405);
});

/** Send `bytes` on a raw connection; the frames the server sent until it closed. */
async function rawExchange(socket: string, bytes: Uint8Array) {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(bytes);
  const got: number[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    got.push(...buf.subarray(0, n));
  }
  conn.close();
  const frames: { type: number; stream: number; payload: number[] }[] = [];
  for (let at = 0; at + 9 <= got.length;) {
    const len = (got[at] << 16) | (got[at + 1] << 8) | got[at + 2];
    frames.push({
      type: got[at + 3],
      stream: new DataView(Uint8Array.from(got.slice(at + 5, at + 9)).buffer)
        .getUint32(0),
      payload: got.slice(at + 9, at + 9 + len),
    });
    at += 9 + len;
  }
  return frames;
}

Deno.test("a client breaking the protocol gets GOAWAY with the RFC's error code and is disconnected; others are unaffected", async () => {
  await using s = await startServer();
  const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const f = (
    type: number,
    flags: number,
    stream: number,
    payload: number[],
  ) => [
    payload.length >> 16,
    (payload.length >> 8) & 0xff,
    payload.length & 0xff,
    type,
    flags,
    0,
    0,
    0,
    stream,
    ...payload,
  ];
  const settings = f(4, 0, 0, []);
  const cases: [string, number[], number][] = [
    ["HTTP/1.1", [...new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")], 1],
    ["a frame above 16 KiB", [
      ...preface,
      ...settings,
      0,
      0x50,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
    ], 6],
    ["HPACK index 0", [...preface, ...settings, ...f(1, 5, 1, [0x80])], 9],
    ["DATA on stream 0", [...preface, ...settings, ...f(0, 0, 0, [1])], 1],
    ["an even stream id", [...preface, ...settings, ...f(1, 5, 2, [0x83])], 1],
    ["HEADERS while CONTINUATION is due", [
      ...preface,
      ...settings,
      ...f(1, 0, 1, [0x83]),
      ...f(1, 5, 3, [0x83]),
    ], 1],
    ["WINDOW_UPDATE of 0", [
      ...preface,
      ...settings,
      ...f(8, 0, 0, [0, 0, 0, 0]),
    ], 1],
  ];
  for (const [name, bytes, code] of cases) {
    const frames = await rawExchange(s.socket, Uint8Array.from(bytes));
    const goaway = frames.find((x) => x.type === 7);
    assert(goaway, `${name}: no GOAWAY`);
    assertEquals(goaway.payload[7], code, name);
  }
  // a well-behaved client on the same server
  assertEquals(await client(s.socket, "ping").result(), {
    error: null,
    payload: "12345678",
  });
});

Deno.test("a request written one byte at a time (preface, frames and HPACK split anywhere) is answered", async () => {
  await using s = await startServer();
  const text = (v: string) => [v.length, ...new TextEncoder().encode(v)];
  const block = [
    0x83,
    0x86,
    0x04,
    ...text("/echo"),
    0x00,
    ...text("x-a"),
    ...text("b"),
  ];
  const frame = (type: number, flags: number, stream: number, p: number[]) => [
    0,
    p.length >> 8,
    p.length & 0xff,
    type,
    flags,
    0,
    0,
    0,
    stream,
    ...p,
  ];
  const bytes = [
    ...new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ...frame(4, 0, 0, []),
    ...frame(1, 0x4, 1, block),
    ...frame(0, 0x1, 1, [7, 8, 9]),
  ];
  const conn = await Deno.connect({ transport: "unix", path: s.socket });
  for (const b of bytes) {
    await conn.write(Uint8Array.of(b));
    await new Promise((r) => setTimeout(r, 0));
  }
  // read until the response's trailers (HEADERS with END_STREAM on stream 1)
  const got: number[] = [];
  const buf = new Uint8Array(4096);
  let done = false;
  while (!done) {
    const n = await conn.read(buf);
    if (n === null) break;
    got.push(...buf.subarray(0, n));
    for (let at = 0; at + 9 <= got.length;) {
      const len = (got[at] << 16) | (got[at + 1] << 8) | got[at + 2];
      if (got[at + 3] === 1 && got[at + 4] & 1 && got[at + 8] === 1) {
        done = true;
      }
      at += 9 + len;
    }
  }
  conn.close();
  // the DATA frame echoed the body
  const data = [];
  for (let at = 0; at + 9 <= got.length;) {
    const len = (got[at] << 16) | (got[at + 1] << 8) | got[at + 2];
    if (got[at + 3] === 0 && got[at + 8] === 1) {
      data.push(...got.slice(at + 9, at + 9 + len));
    }
    at += 9 + len;
  }
  assertEquals(data, [7, 8, 9]);
  assertEquals(s.ends, ["done"]);
});
