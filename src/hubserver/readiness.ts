/**
 * Readiness of the reference hub (`GET /readyz` on its admin socket), as a
 * pure function of what the running hub reports: ready when its CA can sign
 * now, the enrollment API is listening, its own TLS certificate is valid
 * now, and every node link listener is up. Same answer shape as the device
 * runtime's ({@link Readiness}: one plain sentence per reason).
 * @module
 */
import type { Readiness } from "../admin/readiness.ts";

/** A certificate's validity window. */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** A listener: where, and whether it accepts connections now. */
export interface ListenerState {
  /** `host:port` or a URL, for the reason text. */
  address: string;
  listening: boolean;
}

/** What {@link hubReadiness} looks at. */
export interface HubReadinessInput {
  /** Now, in ms since the epoch. */
  now: number;
  /** The CA that signs node certificates, and the root above it (two tiers). */
  ca: Validity & { root?: Validity };
  /** The hub's serving certificate, and the last renewal error if any. */
  tls: Validity & { lastError?: string };
  /** The enrollment API (HTTPS). */
  enrollment: ListenerState;
  /** Node link listeners by transport (only the enabled ones). */
  links: Record<string, ListenerState>;
}

const iso = (d: Date) => d.toISOString();

function window(
  what: string,
  v: Validity,
  now: number,
  reasons: string[],
): void {
  if (v.notAfter.getTime() <= now) {
    reasons.push(`${what}: expired at ${iso(v.notAfter)}`);
  } else if (v.notBefore.getTime() > now) {
    reasons.push(`${what}: not valid before ${iso(v.notBefore)}`);
  }
}

/** Decide the hub's readiness; see {@link Readiness}. */
export function hubReadiness(input: HubReadinessInput): Readiness {
  const reasons: string[] = [];
  const { now } = input;
  window("CA", input.ca, now, reasons);
  if (input.ca.root) window("CA root", input.ca.root, now, reasons);
  if (!input.enrollment.listening) {
    reasons.push(
      `enrollment API: not listening on ${input.enrollment.address}`,
    );
  }
  const before = reasons.length;
  window("hub TLS certificate", input.tls, now, reasons);
  if (reasons.length > before && input.tls.lastError) {
    reasons[reasons.length - 1] +=
      ` (last renewal failed: ${input.tls.lastError})`;
  }
  for (const [transport, l] of Object.entries(input.links)) {
    if (!l.listening) {
      reasons.push(`node links (${transport}): not listening on ${l.address}`);
    }
  }
  return { ready: reasons.length === 0, reasons };
}
