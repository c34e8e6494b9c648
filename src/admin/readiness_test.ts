import { assertEquals } from "../../tests/_fixtures/assert.ts";
import { runtimeReadiness } from "./readiness.ts";

const now = Date.parse("2026-01-01T00:00:00Z");
const future = "2026-01-02T00:00:00.000Z";

Deno.test("runtimeReadiness() is ready with a valid identity and a serving Workload API", () => {
  for (const phase of ["valid", "renewing", "retrying"] as const) {
    assertEquals(
      runtimeReadiness({
        identity: { phase, notAfter: future },
        now,
        workloadApiEnabled: true,
        workloadApi: { intermediate: "ok" },
      }),
      { ready: true, reasons: [] },
    );
  }
});

Deno.test("runtimeReadiness() ignores the Workload API when it is disabled", () => {
  assertEquals(
    runtimeReadiness({
      identity: { phase: "valid", notAfter: future },
      now,
      workloadApiEnabled: false,
    }).ready,
    true,
  );
});

Deno.test("runtimeReadiness() names every reason it is not ready", () => {
  assertEquals(
    runtimeReadiness({
      identity: { phase: "enrolling" },
      now,
      workloadApiEnabled: true,
    }),
    {
      ready: false,
      reasons: [
        "node identity: phase is enrolling",
        "node identity: no certificate yet",
        "workload API: not serving",
      ],
    },
  );
  assertEquals(
    runtimeReadiness({
      identity: { phase: "expired", notAfter: "2025-12-31T00:00:00.000Z" },
      now,
      workloadApiEnabled: true,
      workloadApi: { intermediate: "expired" },
    }).reasons,
    [
      "node identity: phase is expired",
      "node identity: certificate expired at 2025-12-31T00:00:00.000Z",
      "workload API: node intermediate CA expired; no new SVIDs can be issued",
    ],
  );
});

Deno.test("runtimeReadiness() is not ready when NotAfter has passed even if the phase still says valid", () => {
  const r = runtimeReadiness({
    identity: { phase: "valid", notAfter: new Date(now).toISOString() },
    now,
    workloadApiEnabled: true,
    workloadApi: { intermediate: "missing" },
  });
  assertEquals(r.ready, false);
  assertEquals(r.reasons.length, 2);
});
