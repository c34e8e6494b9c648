/**
 * Test workload: publishes N messages through the message API as S senders
 * (SPIFFE IDs `spiffe://example.org/sensor-<k>`, chosen with `spiffeId`),
 * each sender one message after the other on its own connection (each
 * message with its own id, so a retry after a runtime crash is idempotent),
 * retrying until each is accepted. Message `i` of sender `k` has content
 * `{k, i}`. Usage: `_workload.ts SOCKET N S`.
 * @module
 */
import http from "node:http";

const [socketPath, n, senders] = [
  Deno.args[0],
  Number(Deno.args[1]),
  Number(Deno.args[2] ?? 1),
];

function post(agent: http.Agent, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({
      socketPath,
      agent,
      path: "/v1/messages",
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

async function sender(k: number, count: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({
      resource: "telemetry",
      id: `w-${k}-${i}`,
      spiffeId: `spiffe://example.org/sensor-${k}`,
      content: { k, i },
    });
    while ((await post(agent, body)) !== 202) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

await Promise.all(
  Array.from(
    { length: senders },
    (_, k) => sender(k, Math.floor(n / senders) + (k < n % senders ? 1 : 0)),
  ),
);
console.log("done");
