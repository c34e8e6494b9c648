/**
 * The demo's sample workload: a separate process that talks to the SPIFFE
 * Workload API like any workload would (gRPC on the Unix socket named by
 * SPIFFE_ENDPOINT_SOCKET, security header set) and prints one JSON line per
 * answer.
 *
 *   deno run -A scripts/demo_workload.ts x509 [N]   # first N X509-SVID stream messages
 *   deno run -A scripts/demo_workload.ts jwt AUDIENCE
 *   deno run -A scripts/demo_workload.ts publish RESOURCE JSON   # via MESSAGE_SOCKET
 * @module
 */
import http from "node:http";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const [cmd, arg, body] = Deno.args;
if (cmd === "publish") {
  // The local message API: POST /v1/messages on MESSAGE_SOCKET; 202 once durable.
  const socketPath = Deno.env.get("MESSAGE_SOCKET");
  if (!socketPath) {
    console.error("demo_workload: set MESSAGE_SOCKET=/path/to/messages.sock");
    Deno.exit(2);
  }
  const payload = JSON.stringify({
    resource: arg,
    content: JSON.parse(body ?? "null"),
  });
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({
      socketPath,
      path: "/v1/messages",
      method: "POST",
      headers: { "content-type": "application/json" },
    }, (res) => {
      let text = "";
      res.on("data", (c) => text += c);
      res.on("end", () => {
        console.log(JSON.stringify({ status: res.statusCode, body: text }));
        resolve(res.statusCode ?? 0);
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
  Deno.exit(status === 202 ? 0 : 1);
}

const PROTO =
  new URL("../src/workloadapi/proto/workload.proto", import.meta.url).pathname;
const endpoint = Deno.env.get("SPIFFE_ENDPOINT_SOCKET");
if (!endpoint?.startsWith("unix://")) {
  console.error(
    "demo_workload: set SPIFFE_ENDPOINT_SOCKET=unix:///path/to/workload.sock",
  );
  Deno.exit(2);
}
const def = protoLoader.loadSync(PROTO, {
  keepCase: true,
  defaults: true,
  longs: String,
});
// deno-lint-ignore no-explicit-any
const Api = (grpc.loadPackageDefinition(def) as any).SpiffeWorkloadAPI;
const client = new Api(endpoint, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set("workload.spiffe.io", "true");
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const print = (o: unknown) => console.log(JSON.stringify(o));

if (cmd === "x509") {
  const want = Number(arg ?? 1);
  let seen = 0;
  const call = client.FetchX509SVID({}, md);
  // deno-lint-ignore no-explicit-any
  call.on("data", (m: any) => {
    print({
      svids: m.svids.map((
        s: { spiffe_id: string; x509_svid: Uint8Array; bundle: Uint8Array },
      ) => ({
        spiffe_id: s.spiffe_id,
        x509_svid: b64(s.x509_svid),
        bundle: b64(s.bundle),
      })),
    });
    if (++seen >= want) {
      // Exit without cancelling the stream or closing the channel: Deno's
      // HTTP/2 server (nghttp2) has aborted on a GOAWAY racing a cancelled
      // stream; a dropped connection is what a crashing workload does anyway.
      Deno.exit(0);
    }
  });
  call.on("error", (e: grpc.ServiceError) => {
    if (e.code === grpc.status.CANCELLED) return;
    print({ error: e.details, code: e.code });
    Deno.exit(1);
  });
} else if (cmd === "jwt") {
  client.FetchJWTSVID(
    { audience: [arg ?? "demo"] },
    md,
    (
      e: grpc.ServiceError | null,
      r: { svids: { spiffe_id: string; svid: string }[] },
    ) => {
      if (e) {
        print({ error: e.details, code: e.code });
        Deno.exit(1);
      }
      print({ spiffe_id: r.svids[0].spiffe_id, svid: r.svids[0].svid });
      // Exit without closing the channel, as for x509 above: a GOAWAY
      // after a finished stream can abort the server's nghttp2
      // (denoland/deno#36788).
      Deno.exit(0);
    },
  );
} else {
  console.error(
    "usage: demo_workload.ts x509 [N] | jwt AUDIENCE | publish RESOURCE JSON",
  );
  Deno.exit(2);
}
