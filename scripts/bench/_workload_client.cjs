// Node.js load client for scripts/bench/workload.ts (uses @grpc/grpc-js).
//   node _workload_client.cjs PROTO SOCKET latency N     → {"p50":ms,"p99":ms}
//   node _workload_client.cjs PROTO SOCKET hold STREAMS CONNS → prints "ready" when all first messages arrived, holds until stdin closes
"use strict";
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const [proto, socket, mode, a, b] = process.argv.slice(2);
const pkg = grpc.loadPackageDefinition(
  loader.loadSync(proto, { keepCase: true, defaults: true }),
);
const md = new grpc.Metadata();
md.set("workload.spiffe.io", "true");
const mk = (i) =>
  new pkg.SpiffeWorkloadAPI(
    "unix://" + socket,
    grpc.credentials.createInsecure(),
    {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.channel_id": i,
    },
  );

function first(client) {
  return new Promise((resolve, reject) => {
    const call = client.FetchX509SVID({}, md);
    call.once("data", () => resolve(call));
    call.once("error", (e) => e.code !== grpc.status.CANCELLED && reject(e));
  });
}

(async () => {
  if (mode === "latency") {
    const client = mk(0);
    await first(client).then((c) => c.cancel()); // warm the connection
    const times = [];
    // a fresh channel every 200 calls: Deno's HTTP/2 server closes a
    // session after ~1000 cancelled streams (see docs/workload-api.md)
    let client2 = client;
    for (let i = 0; i < Number(a); i++) {
      if (i > 0 && i % 200 === 0) {
        client2.close();
        client2 = mk(1000 + i);
        await first(client2).then((c) => c.cancel());
      }
      const t0 = process.hrtime.bigint();
      const call = await first(client2);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      call.cancel();
    }
    times.sort((x, y) => x - y);
    const q = (p) =>
      times[Math.min(times.length - 1, Math.floor(p * times.length))];
    console.log(JSON.stringify({ n: times.length, p50: q(0.5), p99: q(0.99) }));
    process.exit(0);
  }
  if (mode === "hold") {
    const clients = Array.from({ length: Number(b) }, (_, i) => mk(i + 1));
    const calls = await Promise.all(
      Array.from(
        { length: Number(a) },
        (_, i) => first(clients[i % clients.length]),
      ),
    );
    console.log("ready " + calls.length);
    process.stdin.on("end", () => process.exit(0));
    process.stdin.resume();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
