/**
 * Schema of the reference hub's configuration (`hub.yaml`), with each
 * field's default and doc. {@link HubConfig} is derived from it.
 *
 * Security features that change behaviour default to off: renewal of an
 * expired node certificate (`enroll.renewGrace: 0s`), QUIC
 * (`quic.enabled: false`). Enrollment rate limits are on by default, set
 * far above what a healthy fleet needs (a node renews about once per
 * certificate lifetime) but low enough to blunt a token-guessing or CSR
 * flood (KubeEdge #7213); `0` turns a limit off.
 * @module
 */
import * as s from "./schema.ts";
import {
  dnsNameField as dnsName,
  logSection,
  notLongerThan,
  trustDomainField,
} from "./_common.ts";

const ca = s.object({
  mode: s.enumOf(["generate", "import"], {
    doc:
      "generate: create a self-signed CA in stateDir on first start; import: use certFile/keyFile.",
    default: "generate",
  }),
  certFile: s.path({
    doc: "CA certificate (PEM) for mode import.",
    optional: true,
  }),
  keyFile: s.path({
    doc: "CA private key (PKCS#8 PEM) for mode import.",
    optional: true,
  }),
  commonName: s.string({
    doc: "Subject CN of a generated CA.",
    default: "edge-runtime CA",
  }),
  ttl: s.duration({
    doc: "Lifetime of a generated CA.",
    default: "3650d",
    min: "1d",
  }),
  offlineRoot: s.object({
    certFile: s.path({
      doc: "Root certificate (PEM) that signed the imported CA.",
    }),
  }, {
    doc: "Offline root above an imported CA, published in the trust bundle.",
    optional: true,
  }),
}, {
  doc: "The hub's certificate authority.",
  refine: (v, report) => {
    if (v.mode === "import") {
      for (const key of ["certFile", "keyFile"] as const) {
        if (v[key] === undefined) {
          report(
            key,
            'required when ca.mode is "import" (expected an absolute path)',
          );
        }
      }
    }
    if (v.offlineRoot !== undefined && v.mode === "generate") {
      report(
        "offlineRoot",
        'only allowed when ca.mode is "import" (a generated CA is self-signed)',
      );
    }
  },
});

const enroll = s.object({
  listen: s.hostPort({
    doc: "HTTPS enrollment/renewal listener.",
    default: "127.0.0.1:10002",
  }),
  dnsNames: s.list(dnsName, {
    doc: "DNS names in the listener's TLS certificate.",
    default: ["localhost"],
  }),
  ipAddresses: s.list(s.ip({ doc: "IP address." }), {
    doc: "IP addresses in the listener's TLS certificate.",
    default: ["127.0.0.1"],
  }),
  nodeCertTtl: s.duration({
    doc: "Lifetime of node certificates.",
    default: "24h",
    min: "1m",
  }),
  renewGrace: s.duration({
    doc: "How long after expiry a node may still renew (0s = never).",
    default: "0s",
  }),
  intermediateTtl: s.duration({
    doc: "Longest lifetime of a node intermediate CA.",
    default: "7d",
    min: "1h",
  }),
  intermediateDnsDomains: s.list(dnsName, {
    doc:
      "DNS subtrees node intermediates may put in workload SVIDs (name constraint). Empty: none — node intermediates can then sign no DNS name and no IP address, so a stolen device cannot mint a certificate for the hub or any other host.",
    default: [],
  }),
  rateLimit: s.object({
    perSourcePerMinute: s.int({
      doc:
        "Signing requests per source IP per minute, also the burst (0 = no limit).",
      default: 600,
      min: 0,
    }),
    perNodePerMinute: s.int({
      doc:
        "Signing requests per node name per minute, also the burst (0 = no limit).",
      default: 30,
      min: 0,
    }),
  }, { doc: "Request rate limits." }),
}, { doc: "Enrollment and renewal API." });

/** The hub's configuration schema. */
export const hubSchema = s.object({
  stateDir: s.path({
    doc: "Where the CA, tokens, registry and audit log are stored.",
    default: "/var/lib/edge-runtime-hub",
  }),
  trustDomain: trustDomainField("SPIFFE trust domain.", "example.org"),
  log: logSection(),
  ca,
  enroll,
  tokens: s.object({
    defaultTtl: s.duration({
      doc: "Lifetime of a join token unless given.",
      default: "24h",
      min: "1m",
    }),
  }, { doc: "Join tokens." }),
  websocket: s.object({
    listen: s.hostPort({
      doc: "WebSocket listener for node links.",
      default: "127.0.0.1:10000",
    }),
  }, { doc: "WebSocket transport." }),
  quic: s.object({
    enabled: s.bool({ doc: "Serve the QUIC transport.", default: false }),
    listen: s.hostPort({
      doc: "QUIC (UDP) listener.",
      default: "127.0.0.1:10001",
    }),
  }, { doc: "QUIC transport." }),
  admin: s.object({
    socketPath: s.path({
      doc: "Unix socket of the admin API.",
      default: "/run/edge-runtime-hub/admin.sock",
    }),
  }, { doc: "Local admin API." }),
}, {
  doc: "edge-runtime hub configuration.",
  refine: (v, report) => {
    const caTtl = v.ca?.ttl;
    if (caTtl !== undefined && v.ca?.mode === "generate") {
      for (const key of ["nodeCertTtl", "intermediateTtl"] as const) {
        const ttl = v.enroll?.[key];
        if (ttl !== undefined && ttl > caTtl) {
          report(`enroll.${key}`, notLongerThan("ca.ttl", caTtl, ttl));
        }
      }
    }
    if (
      v.enroll?.listen !== undefined &&
      v.enroll.listen === v.websocket?.listen
    ) {
      report(
        "websocket.listen",
        `expected an address other than enroll.listen, got ${
          JSON.stringify(v.websocket.listen)
        }`,
      );
    }
  },
});

/** The hub's validated configuration, defaults applied (durations in ms). */
export type HubConfig = s.Infer<typeof hubSchema>;
