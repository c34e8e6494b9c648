/**
 * The device runtime's composition root: config → logger → store → node
 * identity (bootstrap, renewal, sinks) → node intermediate → Workload API →
 * hub link → local message API, plus the admin API, running until SIGINT or
 * SIGTERM. Consumers follow the identity's "identity changed" events.
 *
 * Start-up is timed (`scripts/bench/identity.ts`, `scripts/bench/process.ts`):
 * this module's static imports are only what the start needs; the YAML
 * parser (only when the parsed-config cache misses), the node identity's
 * lifecycle (enrollment, renewal, HTTPS), the admin API (hono), the node
 * intermediate client, the Workload API, the hub link and the message API
 * are imported when they start. With a stored identity the Workload API
 * comes first, from the stored node intermediate, and the rest waits (at
 * most {@link FIRST_CALL_MS}) until it has answered a first call; a node
 * that has to enroll starts the admin API at once, so that status is
 * served during enrollment.
 * Once everything runs, the memory only start-up needed is given back
 * (`memory_trim.ts`).
 * @module
 */
import type { CliIo } from "./cli/command.ts";
import { loadConfig, loadConfigCached } from "./config/load.ts";
import { createLogger, type Logger } from "./log/mod.ts";
import { openStore } from "./store/mod.ts";
import type { NodeIdentityParts } from "./identity/from_config.ts";
import { IDENTITY_UNIT, identityPem } from "./identity/state.ts";
import type { AdminOptions, AdminServer } from "./admin/server.ts";
import { runtimeReadiness } from "./admin/readiness.ts";
import { MetricsRegistry, registerRuntimeMetrics } from "./metrics/mod.ts";
import { createIntermediateHolder } from "./svid/intermediate.ts";
import type {
  IntermediateRenewer,
  NodeTlsCredentials,
} from "./svid/intermediate_client.ts";
import type { WorkloadApi } from "./workloadapi/mod.ts";
import type { HubLink } from "./hub/mod.ts";
import type { MessageApi } from "./messageapi/mod.ts";
import type { Message } from "./message/mod.ts";
import { trimStartupMemory } from "./memory_trim.ts";
import { schedule } from "./clock.ts";
import { warmUpTlsRandom } from "./net/tls_warmup.ts";

/** How long after start-up the start-up memory is given back. */
const TRIM_AFTER_MS = 3_000;
/**
 * With a stored identity, how long the rest of start-up waits for the
 * Workload API to answer a first call (e.g. from a workload started with
 * the runtime) before it goes on.
 */
const FIRST_CALL_MS = 100;

/** Options of {@link startRuntime} and {@link startHub}. */
export interface StartOptions {
  /** Path of the YAML configuration. */
  configPath: string;
  /** `--state-dir`, overriding `stateDir` of the config. */
  stateDirOverride?: string;
  /** Where user-facing output goes. */
  io: CliIo;
}

/** An AbortSignal that fires on SIGINT or SIGTERM; `dispose` removes the listeners. */
function shutdownSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error("shutdown requested"));
  const sigs = ["SIGINT", "SIGTERM"] as const;
  for (const s of sigs) Deno.addSignalListener(s, stop);
  return {
    signal: ac.signal,
    dispose: () => sigs.forEach((s) => Deno.removeSignalListener(s, stop)),
  };
}

/**
 * Start the admin API (hono, loaded here rather than at start-up). It never
 * rejects: without it, `status` falls back to the state dir.
 */
async function startAdmin(
  options: AdminOptions & { socketPath: string; logger: Logger },
): Promise<AdminServer | undefined> {
  try {
    const { startAdminServer } = await import("./admin/server.ts");
    return await startAdminServer(options);
  } catch (err) {
    options.logger.warn(
      "admin API not started; status falls back to the state dir",
      { socketPath: options.socketPath, error: (err as Error).message },
    );
    return undefined;
  }
}

/**
 * Run the device runtime until SIGINT/SIGTERM (exit 0). Enrollment problems
 * that retrying cannot fix (bad token, CA hash mismatch, refusal) throw and
 * end the process with their message.
 */
export async function startRuntime(options: StartOptions): Promise<number> {
  // The YAML parser runs only when the file changed since the last start
  // (the parse is cached in the state dir; the schema is applied either way).
  // A missed cache is mostly a first start, which enrolls first: the node
  // identity's modules then load while the YAML parser does, and the TLS
  // random generator is seeded on another core. With a stored identity the
  // first handshake comes after the Workload API's first answer, and so
  // does the seeding (it would take the CPU the Workload API's start needs).
  let identityModules:
    | Promise<typeof import("./identity/from_config.ts")>
    | undefined;
  const loadIdentityModules = () =>
    identityModules ??= import("./identity/from_config.ts");
  const loaded = await loadConfigCached("edge", options.configPath, {
    stateDirOverride: options.stateDirOverride,
    onMiss: () => {
      void loadIdentityModules().catch(() => {});
      warmUpTlsRandom();
    },
  });
  const { config } = loaded;
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
  })
    .child({ component: "runtime", node: config.node.name });
  const store = await openStore(config.stateDir, { logger: log });
  using _lock = await store.lock();
  log.info("state directory ready", {
    stateDir: config.stateDir,
    configParse: loaded.from,
  });
  const shutdown = shutdownSignal();
  const { signal } = shutdown;
  // One registry for every part (the hub link registers its own metrics on
  // it); the gauges read the parts' status at scrape time.
  const metrics = new MetricsRegistry();
  const hooks = registerRuntimeMetrics(metrics, {
    identity: () => identity.manager.status(),
    workloadApi: () => workloadApi?.status(),
    intermediateNotAfter: () => intermediates.current()?.cert.notAfter,
    hubLink: () => link?.status(),
  });
  /** The node identity's parts: built before anything reads them (below). */
  let identity: NodeIdentityParts;
  // The node's mTLS credentials, kept current by the identity events.
  let nodeTls: NodeTlsCredentials | undefined;
  /** Load the node identity's modules and build its parts (not started). */
  const buildIdentity = async (): Promise<NodeIdentityParts> => {
    const { nodeIdentityFromConfig } = await loadIdentityModules();
    const parts = nodeIdentityFromConfig(config, {
      store,
      logger: log,
      onRenewal: hooks.onRenewal,
    });
    parts.events.watch(async (id) => {
      const pem = await identityPem(id);
      nodeTls = {
        certChainPem: pem.certPem,
        keyPem: pem.keyPem,
        bundlePem: pem.caPem,
      };
      renewer?.nodeChanged();
    });
    return parts;
  };
  const intermediates = createIntermediateHolder();
  let renewer: IntermediateRenewer | undefined;
  let workloadApi: WorkloadApi | undefined;
  let link: HubLink | undefined;
  let messages: MessageApi | undefined;
  let stopReload = () => {};
  let cacheSaved: Promise<unknown> | undefined;
  let cancelTrim = () => {};
  const adminOptions = {
    socketPath: config.admin.socketPath,
    status: () => ({
      identity: identity.manager.status(),
      workloadApi: workloadApi?.status(),
      hubLink: link?.status(),
      messageApi: messages?.status(),
    }),
    ready: () =>
      runtimeReadiness({
        identity: identity.manager.status(),
        now: Date.now(),
        workloadApiEnabled: config.workloadApi.enabled,
        workloadApi: workloadApi?.status(),
      }),
    metrics,
    logger: log,
  };
  /**
   * The node intermediate (from the store; renewed once the node identity
   * is there) and the Workload API.
   */
  const startWorkloadSide = async () => {
    if (config.workloadApi.enabled) {
      if (config.identity.upstream === "hub") {
        const { IntermediateRenewer } = await import(
          "./svid/intermediate_client.ts"
        );
        renewer = new IntermediateRenewer({
          hubUrl: config.hub.httpServer,
          nodeName: config.node.name,
          trustDomain: config.trustDomain,
          ttlMs: config.workloadApi.intermediateTtl,
          node: () => nodeTls,
          holder: intermediates,
          store,
          logger: log,
        });
        await renewer.start();
      } else {
        log.warn(
          "the Workload API has no node intermediate with this upstream: " +
            "X.509 calls answer UNAVAILABLE (JWT-SVIDs work); set " +
            "workloadApi.enabled: false, or use identity.upstream: hub",
          { upstream: config.identity.upstream },
        );
      }
      const { startWorkloadApi } = await import("./workloadapi/mod.ts");
      workloadApi = await startWorkloadApi({
        config: config.workloadApi,
        trustDomain: config.trustDomain,
        intermediates,
        store,
        logger: log,
        sinks: config.sinks,
        onSvidIssued: hooks.onSvidIssued,
        onCallEnd: hooks.onWorkloadCall,
      });
    }
  };
  // A node that has to enroll starts the admin API at once (status is
  // served during a long enrollment; enrollment does not wait for it), then
  // the Workload API once it has an identity. With a stored identity the
  // Workload API serves first, from the stored node intermediate, before
  // the node identity's own modules load and before the admin API (hono):
  // the node identity is not needed to issue workload SVIDs, and the
  // intermediate renewer waits for the node's credentials.
  const enrolling = !(await store.list()).includes(IDENTITY_UNIT);
  let admin: Promise<AdminServer | undefined> | undefined;
  try {
    if (enrolling) {
      warmUpTlsRandom();
      identity = await buildIdentity();
      admin = startAdmin(adminOptions);
    } else {
      await startWorkloadSide();
      // A workload waiting at boot gets its first answer before the rest
      // of start-up takes the (single) JS thread, for at most a moment.
      if (workloadApi) {
        let cancel = () => {};
        await Promise.race([
          workloadApi.server.answered,
          new Promise((r) =>
            cancel = schedule(() => r(undefined), FIRST_CALL_MS)
          ),
        ]);
        cancel();
      }
      warmUpTlsRandom();
      identity = await buildIdentity();
    }
    identity.upstream.start?.(signal);
    await identity.manager.start(signal);
    if (enrolling) await startWorkloadSide();
    admin ??= startAdmin(adminOptions);
    await admin; // up before the other parts announce themselves
    if (workloadApi) {
      options.io.stdout(`SPIFFE_ENDPOINT_SOCKET=${workloadApi.address}\n`);
      log.info("Workload API serving", { address: workloadApi.address });
    }
    // The hub link and the local message API share the Workload API's
    // registration entries (config + pushed by the hub) and attestation.
    const { startHubLink } = await import("./hub/mod.ts");
    const { entriesFromConfig, EntryStore } = await import(
      "./workloadapi/mod.ts"
    );
    const entries = workloadApi?.entries ?? new EntryStore(config.trustDomain);
    if (!workloadApi) {
      entries.replace("config", entriesFromConfig(config.workloadApi));
    }
    // SIGHUP re-reads the configuration's registration entries; an invalid
    // file is reported and changes nothing.
    const reloadEntries = async () => {
      try {
        const next = await loadConfig("edge", options.configPath, {
          stateDirOverride: options.stateDirOverride,
        });
        entries.replace("config", entriesFromConfig(next.workloadApi));
        log.info("registration entries reloaded", {
          entries: next.workloadApi.entries.length,
        });
      } catch (err) {
        log.error("configuration not reloaded", {
          error: (err as Error).message,
        });
      }
    };
    const onHup = () => void reloadEntries();
    Deno.addSignalListener("SIGHUP", onHup);
    stopReload = () => Deno.removeSignalListener("SIGHUP", onHup);
    let deliver: (m: Message) => void = () => {};
    link = await startHubLink({
      config,
      identity: identity.events,
      store,
      logger: log,
      onEntries: (e) => entries.replace("hub", e),
      onMessage: (m) => deliver(m),
    });
    if (config.hub.messageApi.enabled) {
      const { startMessageApi } = await import("./messageapi/mod.ts");
      const api = await startMessageApi({
        socketPath: config.hub.messageApi.socketPath,
        socketMode: config.hub.messageApi.socketMode,
        publish: link.publish,
        entries,
        logger: log,
      });
      messages = api;
      deliver = (m) => void api.deliver(m);
      options.io.stdout(`MESSAGE_SOCKET=${config.hub.messageApi.socketPath}\n`);
    }
    // Start-up is over: keep the config's parse for the next start (under
    // the state dir's lock, which this process holds), and give back the
    // memory only start-up needed once the first connections have settled.
    cacheSaved = loaded.saveCache(store).then(
      (saved) => saved && log.debug("configuration parse cached"),
      (err) =>
        log.warn("configuration parse not cached", {
          error: (err as Error).message,
        }),
    );
    cancelTrim = schedule(
      () => {
        const r = trimStartupMemory();
        if (r) log.debug("start-up memory given back", { ...r });
      },
      TRIM_AFTER_MS,
      { ref: false },
    );
    await identity.manager.run(signal);
    log.info("runtime stopped");
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    shutdown.dispose();
    stopReload();
    cancelTrim();
    await cacheSaved;
    await renewer?.stop();
    await messages?.close();
    await link?.close();
    await workloadApi?.close();
    await (await admin)?.close();
  }
}
