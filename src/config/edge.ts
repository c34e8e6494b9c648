/**
 * Schema of the edge runtime's configuration (`edge.yaml`), with each
 * field's default and doc. {@link EdgeConfig} is derived from it.
 *
 * Security features that change behaviour default to off: Vault upstream
 * (`identity.upstream: hub`), token-file wiping (`false`). The node
 * intermediate CA (offline SVID issuing) is requested only when the
 * Workload API is enabled.
 * @module
 */
import * as s from "./schema.ts";
import {
  logSection,
  notLongerThan,
  socketModeField,
  trustDomainField,
} from "./_common.ts";
import { reloadCommand, sink, workloadApi } from "./_edge_workload.ts";
import { isMemberOf, parseSpiffeId } from "../spiffeid/mod.ts";

const NODE_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const identity = s.object({
  upstream: s.enumOf(["hub", "vault"], {
    doc:
      "Who signs the node certificate: the hub, or HashiCorp Vault's PKI engine.",
    default: "hub",
  }),
  token: s.string({
    doc:
      "Join token for the first enrollment (prefer tokenFile; never logged).",
    optional: true,
    secret: true,
  }),
  tokenFile: s.path({ doc: "File holding the join token.", optional: true }),
  wipeTokenFile: s.bool({
    doc: "Overwrite and delete tokenFile after a successful enrollment.",
    default: false,
  }),
  renewal: s.object({
    renewAfterMin: s.number({
      doc: "Earliest renewal point, as a fraction of the certificate lifetime.",
      default: 0.7,
      min: 0.1,
      max: 0.95,
    }),
    renewAfterMax: s.number({
      doc: "Latest renewal point (a random point in [min, max] is picked).",
      default: 0.9,
      min: 0.1,
      max: 0.95,
    }),
    backoffInitial: s.duration({
      doc: "First retry delay after a failed renewal.",
      default: "2s",
      min: "1ms",
    }),
    backoffMax: s.duration({
      doc: "Longest retry delay (doubles up to this).",
      default: "32s",
      min: "1ms",
    }),
  }, {
    doc: "When and how the node certificate is renewed.",
    refine: (v, report) => {
      if (
        v.renewAfterMin !== undefined && v.renewAfterMax !== undefined &&
        v.renewAfterMin > v.renewAfterMax
      ) {
        report(
          "renewAfterMin",
          `expected at most renewAfterMax (${v.renewAfterMax}), got ${v.renewAfterMin}`,
        );
      }
      if (
        v.backoffInitial !== undefined && v.backoffMax !== undefined &&
        v.backoffInitial > v.backoffMax
      ) {
        report(
          "backoffInitial",
          notLongerThan("backoffMax", v.backoffMax, v.backoffInitial),
        );
      }
    },
  }),
  sink: s.object({
    certFile: s.path({ doc: "Node certificate chain (PEM), leaf first." }),
    keyFile: s.path({ doc: "Node private key (PKCS#8 PEM, mode 0600)." }),
    caFile: s.path({ doc: "Trust bundle (PEM)." }),
    reloadCommand,
  }, {
    doc: "Also write the node identity as PEM files (off when absent).",
    optional: true,
  }),
}, {
  doc: "The node's own identity (enrollment and renewal).",
  refine: (v, report) => {
    if (v.token !== undefined && v.tokenFile !== undefined) {
      report(
        "tokenFile",
        "cannot be set together with identity.token; choose one",
      );
    }
    if (v.wipeTokenFile === true && v.tokenFile === undefined) {
      report("wipeTokenFile", "is true but identity.tokenFile is not set");
    }
  },
});

const hub = s.object({
  httpServer: s.url({
    doc: "Hub enrollment/renewal HTTPS endpoint.",
    schemes: ["https"],
    default: "https://127.0.0.1:10002",
  }),
  transport: s.enumOf(["websocket", "quic", "auto"], {
    doc:
      "Message link to the hub; auto = QUIC first, WebSocket when QUIC fails, QUIC again later.",
    default: "websocket",
  }),
  websocketServer: s.hostPort({
    doc: "Hub WebSocket address.",
    default: "127.0.0.1:10000",
  }),
  quicServer: s.hostPort({
    doc: "Hub QUIC address.",
    default: "127.0.0.1:10001",
  }),
  projectId: s.string({
    doc: "Project ID sent to the hub (KubeEdge compatible).",
    default: "e632aba927ea4ac2b575ec1603d56f10",
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    expected: "a project ID (letters, digits, '-' and '_', at most 64)",
  }),
  heartbeat: s.duration({
    doc: "Keep-alive interval on the hub link.",
    default: "15s",
    min: "1s",
  }),
  outbox: s.object({
    maxMessages: s.int({
      doc: "Most messages kept in the persistent outbox while the hub is " +
        "unreachable; when full, new sends are refused (nothing is dropped).",
      default: 10000,
      min: 1,
      max: 1_000_000,
    }),
  }, { doc: "Queue of messages for the hub." }),
  reconnect: s.object({
    initialDelay: s.duration({
      doc: "Ceiling of the first reconnect delay (full jitter, doubling).",
      default: "1s",
      min: "10ms",
    }),
    maxDelay: s.duration({
      doc: "Largest reconnect delay ceiling.",
      default: "60s",
      min: "10ms",
    }),
  }, { doc: "Reconnect backoff of the hub link." }),
  messageApi: s.object({
    enabled: s.bool({
      doc: "Serve the local message API (publish to / receive from the hub).",
      default: true,
    }),
    socketPath: s.path({
      doc: "Unix socket of the local message API.",
      default: "/run/edge-runtime/messages.sock",
    }),
    socketMode: socketModeField(
      "Permissions of the socket (octal, quoted).",
      "0666",
    ),
  }, {
    doc:
      "Local message API for workloads (callers attested like the Workload API).",
  }),
}, { doc: "Connection to the hub." });

const vault = s.object({
  address: s.url({
    doc: "Vault server address.",
    schemes: ["https"],
    optional: true,
  }),
  mount: s.string({
    doc: "Mount path of the PKI secrets engine.",
    default: "pki",
  }),
  role: s.string({
    doc: "PKI role used to sign the node certificate.",
    optional: true,
  }),
  tokenFile: s.path({ doc: "File holding the Vault token.", optional: true }),
  ttl: s.duration({
    doc: "Requested node certificate lifetime.",
    default: "24h",
    min: "1m",
  }),
  caFile: s.path({
    doc:
      "CA bundle to verify Vault's TLS certificate (system roots when absent).",
    optional: true,
  }),
}, { doc: 'Vault PKI upstream; used only when identity.upstream is "vault".' });

/** The edge runtime's configuration schema. */
export const edgeSchema = s.object({
  node: s.object({
    name: s.string({
      doc: "This node's name (DNS name syntax); becomes part of its SPIFFE ID.",
      pattern: NODE_NAME,
      expected: 'a lowercase DNS name like "pi-1"',
    }),
  }, { doc: "This node." }),
  trustDomain: trustDomainField(
    "SPIFFE trust domain; must match the hub's.",
    "example.org",
  ),
  stateDir: s.path({
    doc: "Where identity and caches are stored.",
    default: "/var/lib/edge-runtime",
  }),
  log: logSection(),
  identity,
  hub,
  vault,
  workloadApi,
  sinks: s.list(sink, {
    doc: "SVIDs written to files for programs without Workload API support.",
    default: [],
  }),
  admin: s.object({
    socketPath: s.path({
      doc: "Unix socket of the admin/status API.",
      default: "/run/edge-runtime/admin.sock",
    }),
  }, { doc: "Local admin API." }),
}, {
  doc: "edge-runtime configuration.",
  refine: (v, report) => {
    if (v.identity?.upstream === "vault") {
      const need = {
        address: "an https:// URL",
        role: "a PKI role name",
        tokenFile: "an absolute path",
      };
      for (const [key, expected] of Object.entries(need)) {
        if (v.vault?.[key as keyof typeof need] === undefined) {
          report(
            `vault.${key}`,
            `required when identity.upstream is "vault" (expected ${expected})`,
          );
        }
      }
    }
    const td = v.trustDomain;
    if (td === undefined) return;
    const checkMember = (id: string | undefined, where: string) => {
      if (id !== undefined && !isMemberOf(parseSpiffeId(id), td)) {
        report(
          where,
          `expected a SPIFFE ID in trust domain "${td}", got ${
            JSON.stringify(id)
          }`,
        );
      }
    };
    v.workloadApi?.entries?.forEach((e, i) =>
      checkMember(e?.spiffeId, `workloadApi.entries[${i}].spiffeId`)
    );
    v.sinks?.forEach((e, i) =>
      checkMember(e?.spiffeId, `sinks[${i}].spiffeId`)
    );
  },
});

/** The edge runtime's validated configuration, defaults applied (durations in ms). */
export type EdgeConfig = s.Infer<typeof edgeSchema>;
