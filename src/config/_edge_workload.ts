/**
 * Parts of the edge schema for workloads: the Workload API section (with
 * its registration entries) and file sinks.
 * @module
 */
import * as s from "./schema.ts";
import {
  dnsNameField,
  notLongerThan,
  selectorField,
  socketModeField,
  workloadIdField,
} from "./_common.ts";

/** Command run after files change, as an argv list (no shell). */
export const reloadCommand = s.list(s.string({ doc: "Argument." }), {
  doc:
    "Command run (no shell) after the files change, as a list: [systemctl, reload, nginx].",
  optional: true,
  minItems: 1,
});

const entry = s.object({
  spiffeId: workloadIdField({ doc: "SPIFFE ID issued to matching workloads." }),
  selectors: s.list(selectorField, {
    doc: "All must match the caller.",
    minItems: 1,
  }),
  ttl: s.duration({
    doc: "X.509-SVID lifetime (workloadApi.svidTtl when absent).",
    optional: true,
    min: "5s",
  }),
  hint: s.string({ doc: "Hint returned with the SVID.", optional: true }),
  dnsNames: s.list(dnsNameField, {
    doc:
      "DNS names added to the X.509-SVID (after the SPIFFE ID). They must be under the hub's enroll.intermediateDnsDomains, or verifiers refuse the SVID (the node intermediate's name constraint).",
    optional: true,
  }),
}, { doc: "Registration entry." });

/** The `workloadApi` section. */
export const workloadApi = s.object({
  enabled: s.bool({
    doc: "Serve the SPIFFE Workload API (and request a node intermediate CA).",
    default: true,
  }),
  socketPath: s.path({
    doc: "Unix socket of the Workload API.",
    default: "/run/edge-runtime/workload.sock",
  }),
  socketMode: socketModeField(
    "Permissions of the socket (octal, quoted).",
    "0666",
  ),
  svidTtl: s.duration({
    doc: "Default X.509-SVID lifetime (rotated at half-life).",
    default: "1h",
    min: "5s",
  }),
  jwtSvidTtl: s.duration({
    doc: "JWT-SVID lifetime.",
    default: "5m",
    min: "1m",
  }),
  intermediateTtl: s.duration({
    doc:
      "Requested node intermediate CA lifetime, sent to the hub, which caps it at its enroll.intermediateTtl.",
    default: "7d",
    min: "1h",
  }),
  entries: s.list(entry, { doc: "Local registration entries.", default: [] }),
}, {
  doc: "SPIFFE Workload API on a Unix socket.",
  refine: (v, report) => {
    const max = v.intermediateTtl;
    if (max === undefined) return;
    if (v.svidTtl !== undefined && v.svidTtl > max) {
      report(
        "svidTtl",
        notLongerThan("workloadApi.intermediateTtl", max, v.svidTtl),
      );
    }
    v.entries?.forEach((e, i) => {
      if (e?.ttl !== undefined && e.ttl > max) {
        report(
          `entries[${i}].ttl`,
          notLongerThan("workloadApi.intermediateTtl", max, e.ttl),
        );
      }
    });
  },
});

/** One item of `sinks`. */
export const sink = s.object({
  spiffeId: workloadIdField({
    doc: "Which SVID to write (the first entry's when absent).",
    optional: true,
  }),
  certFile: s.path({ doc: "X.509-SVID chain (PEM)." }),
  keyFile: s.path({ doc: "Private key (PKCS#8 PEM, mode 0600)." }),
  bundleFile: s.path({ doc: "Trust bundle (PEM)." }),
  jwtAudience: s.string({
    doc: "Also write a JWT-SVID for this audience to jwtFile.",
    optional: true,
  }),
  jwtFile: s.path({ doc: "JWT-SVID file (mode 0600).", optional: true }),
  reloadCommand,
  reloadPidFile: s.path({
    doc: "Send reloadSignal to the pid in this file after the files change.",
    optional: true,
  }),
  reloadSignal: s.enumOf(["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTERM"], {
    doc: "Signal sent to the pid in reloadPidFile.",
    default: "SIGHUP",
  }),
}, {
  doc: "SVID written to files.",
  refine: (v, report) => {
    if ((v.jwtAudience === undefined) !== (v.jwtFile === undefined)) {
      report(
        v.jwtFile === undefined ? "jwtFile" : "jwtAudience",
        "jwtAudience and jwtFile must be set together",
      );
    }
  },
});
