/**
 * Readiness of the device runtime (`GET /readyz`), as a pure function of
 * the parts' status: ready when the node identity is valid now and, if the
 * Workload API is enabled, it is serving with a usable node intermediate.
 * @module
 */
import type { IdentityPhase, IdentityStatus } from "../identity/status.ts";
import type { IntermediateHealth } from "../svid/schedule.ts";

/** The answer of a readiness check. */
export interface Readiness {
  ready: boolean;
  /** Why not ready, one plain sentence each; empty when ready. */
  reasons: string[];
}

/** What {@link runtimeReadiness} looks at. */
export interface ReadinessInput {
  /** The node identity status. */
  identity: Pick<IdentityStatus, "phase" | "notAfter">;
  /** Now, in ms since the epoch. */
  now: number;
  /** Whether the config enables the Workload API. */
  workloadApiEnabled: boolean;
  /** The Workload API's state; `undefined` while it is not serving. */
  workloadApi?: { intermediate: IntermediateHealth };
}

/** Phases in which the node certificate is in use and being looked after. */
const SERVING_PHASES: readonly IdentityPhase[] = [
  "valid",
  "renewing",
  "retrying",
];

/** Decide readiness; see {@link Readiness}. */
export function runtimeReadiness(input: ReadinessInput): Readiness {
  const reasons: string[] = [];
  const { phase, notAfter } = input.identity;
  if (!SERVING_PHASES.includes(phase)) {
    reasons.push(`node identity: phase is ${phase}`);
  }
  if (notAfter === undefined) {
    reasons.push("node identity: no certificate yet");
  } else if (Date.parse(notAfter) <= input.now) {
    reasons.push(`node identity: certificate expired at ${notAfter}`);
  }
  if (input.workloadApiEnabled) {
    const api = input.workloadApi;
    if (!api) {
      reasons.push("workload API: not serving");
    } else if (api.intermediate === "missing") {
      reasons.push(
        "workload API: no node intermediate CA; no SVIDs can be issued",
      );
    } else if (api.intermediate === "expired") {
      reasons.push(
        "workload API: node intermediate CA expired; no new SVIDs can be issued",
      );
    }
  }
  return { ready: reasons.length === 0, reasons };
}
