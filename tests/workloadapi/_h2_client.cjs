// An HTTP/2 client on Node.js (nghttp2: Huffman coding, a dynamic table,
// CONTINUATION, flow control) for tests/workloadapi/h2_test.ts. Runs one
// scenario against the server on a Unix socket and prints one JSON line.
//
//   node _h2_client.cjs SOCKET echo N        # N concurrent requests, seeded random headers and bodies, echoed
//   node _h2_client.cjs SOCKET big BYTES     # a response of BYTES with a 16 KiB client window
//   node _h2_client.cjs SOCKET cancel N      # N streams one after the other, each cancelled after its first DATA
//   node _h2_client.cjs SOCKET ping          # PING answered
//   node _h2_client.cjs SOCKET goaway        # a held stream, then the server's GOAWAY and end
//   node _h2_client.cjs SOCKET raw METHOD PATH CONTENT_TYPE BODY_HEX
//                                             # one request; status, grpc-* fields, body
"use strict";
const http2 = require("node:http2");
const net = require("node:net");
const crypto = require("node:crypto");

const [socket, scenario, arg, ...rest] = process.argv.slice(2);
const out = (o) => {
  process.stdout.write(JSON.stringify(o) + "\n");
  process.exit(0);
};
const settings = scenario === "big" ? { initialWindowSize: 16384 } : {};
const session = http2.connect("http://localhost", {
  createConnection: () => net.connect(socket),
  settings,
});
session.on("error", (e) => out({ error: String(e) }));

function request(path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      ...headers,
    });
    let resHeaders;
    const chunks = [];
    req.on("response", (h) => (resHeaders = h));
    req.on("data", (c) => chunks.push(c));
    req.on("trailers", (t) => (req.trailersSeen = t));
    req.on(
      "end",
      () =>
        resolve({
          headers: resHeaders,
          body: Buffer.concat(chunks),
          trailers: req.trailersSeen,
        }),
    );
    req.on("error", reject);
    req.end(body);
  });
}

// seeded (mulberry32): every run sends the same "random" requests
let seed = 0x5eed;
const rand = (n) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
};
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => rand(256)));
const value = () => {
  // printable ASCII, often repeated across requests (dynamic table hits)
  if (rand(3) === 0) return "shared-value-" + rand(4);
  let s = "";
  for (let i = rand(200); i > 0; i--) s += String.fromCharCode(0x20 + rand(95));
  return s.trim() || "v";
};

(async () => {
  switch (scenario) {
    case "echo": {
      const n = Number(arg);
      const results = await Promise.all(
        Array.from({ length: n }, async () => {
          const headers = {};
          for (let k = rand(20); k >= 0; k--) {
            headers[`x-h-${rand(30)}`] = value();
          }
          const body = bytes(
            rand(3) === 0 ? rand(200_000) : rand(100),
          );
          const res = await request("/echo", headers, body);
          const ok = res.headers[":status"] === 200 &&
            Object.entries(headers).every(([k, v]) =>
              res.headers[`echo-${k}`] === v
            ) &&
            res.body.equals(body) && res.trailers &&
            res.trailers["x-trailer"] === "done";
          return ok ? 1 : 0;
        }),
      );
      session.close();
      return out({ ok: results.reduce((a, b) => a + b, 0) });
    }
    case "big": {
      const res = await request("/big", { "x-size": arg }, Buffer.alloc(0));
      session.close();
      return out({
        bytes: res.body.length,
        sha256: crypto.createHash("sha256").update(res.body).digest("hex"),
      });
    }
    case "cancel": {
      let got = 0;
      for (let i = 0; i < Number(arg); i++) {
        await new Promise((resolve, reject) => {
          const req = session.request({ ":method": "POST", ":path": "/hold" });
          req.on("data", () => {
            got++;
            req.close(http2.constants.NGHTTP2_CANCEL);
          });
          req.on("close", resolve);
          req.on("error", reject);
          req.end();
        });
      }
      const res = await request(
        "/echo",
        { "x-last": "yes" },
        Buffer.from("end"),
      );
      session.close();
      return out({ cancelled: got, after: res.headers["echo-x-last"] });
    }
    case "ping": {
      // a PING before the socket connects is cancelled by node
      session.once(
        "connect",
        () =>
          session.ping(Buffer.from("12345678"), (err, _ms, payload) =>
            out({
              error: err && String(err),
              payload: payload && payload.toString(),
            })),
      );
      return;
    }
    case "raw": {
      const [path, type, body] = rest;
      const req = session.request({
        ":method": arg,
        ":path": path,
        ...(type ? { "content-type": type } : {}),
      });
      let head = {};
      const chunks = [];
      const grpc = (h) =>
        Object.fromEntries(
          Object.entries(h).filter(([k]) => k.startsWith("grpc-")),
        );
      req.on("response", (h) => (head = h));
      req.on("data", (c) => chunks.push(c));
      let trailers = {};
      req.on("trailers", (t) => (trailers = grpc(t)));
      req.on("end", () => {
        session.close();
        out({
          status: head[":status"],
          headers: grpc(head),
          trailers,
          body: Buffer.concat(chunks).toString("hex"),
        });
      });
      req.on("error", (e) => out({ error: String(e) }));
      req.end(Buffer.from(body || "", "hex"));
      return;
    }
    case "goaway": {
      let goaway;
      session.on("goaway", (code, last) => (goaway = { code, last }));
      const req = session.request({ ":method": "POST", ":path": "/hold" });
      req.end();
      req.once("data", () => console.log("held"));
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        session.on(
          "close",
          () =>
            out({ goaway, bytes: Buffer.concat(chunks).length, closed: true }),
        );
      });
      return;
    }
  }
})().catch((e) => out({ error: String(e) }));
