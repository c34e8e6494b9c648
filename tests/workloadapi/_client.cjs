// A Workload API client on Node.js (not Deno) with @grpc/grpc-js, used by
// the tests as an independent real client. Prints one JSON line per
// message or error on stdout.
//
//   node _client.cjs PROTO SOCKET x509 [N] [noheader]   # FetchX509SVID, N messages
//   node _client.cjs PROTO SOCKET bundles [N]           # FetchX509Bundles
//   node _client.cjs PROTO SOCKET jwt AUD [SPIFFE_ID]   # FetchJWTSVID
//   node _client.cjs PROTO SOCKET jwtbundles            # FetchJWTBundles (1 message)
//   node _client.cjs PROTO SOCKET validate AUD TOKEN    # ValidateJWTSVID
//   node _client.cjs PROTO SOCKET hold                  # FetchX509SVID, then keep the
//                                                       # channel open until killed
"use strict";
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");

const [proto, socket, cmd, ...args] = process.argv.slice(2);
const def = loader.loadSync(proto, {
  keepCase: true,
  defaults: true,
  oneofs: true,
  longs: String,
});
const pkg = grpc.loadPackageDefinition(def);
const client = new pkg.SpiffeWorkloadAPI(
  "unix://" + socket,
  grpc.credentials.createInsecure(),
);
const md = new grpc.Metadata();
if (!args.includes("noheader")) md.set("workload.spiffe.io", "true");

const b64 = (b) => Buffer.from(b).toString("base64");
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (err) => {
  out({ error: { code: err.code, details: err.details } });
  process.exit(0);
};

function streamN(call, n, map) {
  let seen = 0;
  call.on("data", (m) => {
    out(map(m));
    if (++seen >= n) {
      call.cancel();
      process.exit(0);
    }
  });
  call.on("error", (e) => {
    if (e.code !== grpc.status.CANCELLED) fail(e);
  });
}

switch (cmd) {
  case "x509":
    streamN(client.FetchX509SVID({}, md), Number(args[0] || 1), (m) => ({
      uid: process.getuid(),
      svids: m.svids.map((s) => ({
        spiffe_id: s.spiffe_id,
        hint: s.hint,
        x509_svid: b64(s.x509_svid),
        x509_svid_key: b64(s.x509_svid_key),
        bundle: b64(s.bundle),
      })),
    }));
    break;
  case "bundles":
    streamN(client.FetchX509Bundles({}, md), Number(args[0] || 1), (m) => ({
      bundles: Object.fromEntries(
        Object.entries(m.bundles).map(([k, v]) => [k, b64(v)]),
      ),
    }));
    break;
  case "jwtbundles":
    streamN(client.FetchJWTBundles({}, md), 1, (m) => ({
      bundles: Object.fromEntries(
        Object.entries(m.bundles).map((
          [k, v],
        ) => [k, Buffer.from(v).toString()]),
      ),
    }));
    break;
  case "jwt":
    client.FetchJWTSVID(
      { audience: args[0] ? [args[0]] : [], spiffe_id: args[1] || "" },
      md,
      (err, res) => (err ? fail(err) : (out(res), process.exit(0))),
    );
    break;
  case "validate":
    client.ValidateJWTSVID(
      { audience: args[0], svid: args[1] },
      md,
      (err, res) => (err ? fail(err) : (out(res), process.exit(0))),
    );
    break;
  case "hold": {
    // Like a long-running workload: the channel (and its connection) stays
    // open after the stream ends, until the process is killed.
    const call = client.FetchX509SVID({}, md);
    call.on("data", (m) => out({ spiffe_id: m.svids[0].spiffe_id }));
    call.on("status", (s) => out({ status: s.code }));
    call.on("error", () => {}); // reported through "status"
    setInterval(() => {}, 60_000);
    break;
  }
  default:
    console.error("unknown command " + cmd);
    process.exit(2);
}
