import { assertEquals } from "../../tests/_fixtures/assert.ts";
import { hubReadiness, type HubReadinessInput } from "./readiness.ts";

const now = Date.parse("2026-06-01T00:00:00Z");
const valid = {
  notBefore: new Date("2026-01-01T00:00:00Z"),
  notAfter: new Date("2027-01-01T00:00:00Z"),
};
const up = (address: string) => ({ address, listening: true });

function input(over: Partial<HubReadinessInput> = {}): HubReadinessInput {
  return {
    now,
    ca: valid,
    tls: valid,
    enrollment: up("https://127.0.0.1:10002"),
    links: { websocket: up("127.0.0.1:10000"), quic: up("127.0.0.1:10001") },
    ...over,
  };
}

Deno.test("hubReadiness() is ready when the CA and TLS certificate are valid and every listener is up", () => {
  assertEquals(hubReadiness(input()), { ready: true, reasons: [] });
});

Deno.test("hubReadiness() names every reason it is not ready, one sentence each", () => {
  const r = hubReadiness(input({
    ca: {
      notBefore: valid.notBefore,
      notAfter: new Date("2026-05-01T00:00:00Z"),
    },
    tls: {
      notBefore: valid.notBefore,
      notAfter: new Date("2026-05-31T00:00:00Z"),
      lastError: 'Issuer "CN=x" expired',
    },
    enrollment: { address: "https://127.0.0.1:10002", listening: false },
    links: {
      websocket: { address: "127.0.0.1:10000", listening: false },
      quic: up("127.0.0.1:10001"),
    },
  }));
  assertEquals(r, {
    ready: false,
    reasons: [
      "CA: expired at 2026-05-01T00:00:00.000Z",
      "enrollment API: not listening on https://127.0.0.1:10002",
      'hub TLS certificate: expired at 2026-05-31T00:00:00.000Z (last renewal failed: Issuer "CN=x" expired)',
      "node links (websocket): not listening on 127.0.0.1:10000",
    ],
  });
});

Deno.test("hubReadiness() checks the offline root of a two-tier CA and certificates not yet valid", () => {
  const r = hubReadiness(input({
    ca: {
      ...valid,
      root: {
        notBefore: valid.notBefore,
        notAfter: new Date("2026-02-01T00:00:00Z"),
      },
    },
    tls: {
      notBefore: new Date("2026-07-01T00:00:00Z"),
      notAfter: valid.notAfter,
    },
  }));
  assertEquals(r.reasons, [
    "CA root: expired at 2026-02-01T00:00:00.000Z",
    "hub TLS certificate: not valid before 2026-07-01T00:00:00.000Z",
  ]);
});

Deno.test("hubReadiness() is not ready at the exact NotAfter instant", () => {
  const r = hubReadiness(input({ now: valid.notAfter.getTime() }));
  assertEquals(r.ready, false);
  assertEquals(r.reasons.length, 2); // CA and TLS certificate
});
