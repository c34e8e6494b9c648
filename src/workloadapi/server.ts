/**
 * The Workload API gRPC server on a Unix socket.
 *
 * **Which connection did a call come on?** Sockets are accepted by our own
 * `node:net` server: its `SO_PEERCRED` (and the caller's start time) are
 * read at once, the socket is given a unique synthetic `remoteAddress`
 * (`uds-peer:<n>`), recorded in a map, and handed to grpc-js through
 * `createConnectionInjector().injectConnection`. grpc-js reports a call's
 * peer as its connection's `remoteAddress` through the public
 * `call.getPeer()`, so each call maps to exactly the credentials of the
 * connection it arrived on — even with many callers at once — without
 * touching grpc-js internals. A call whose peer is not in the map (which
 * would mean that mechanism broke) is refused with UNAVAILABLE, never
 * served with someone else's identity. The entry is dropped when the
 * socket closes.
 *
 * Every call must carry `workload.spiffe.io: true` (else INVALID_ARGUMENT).
 * Streams send the full state at once and again whenever it changes for
 * that caller (rotation, bundle, entries).
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as net from "node:net";
import { prepareSocketPath } from "../net/unix_socket.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  type AttestedPeer,
  capturePeer,
  type UnixAttestor,
} from "./attestor.ts";
import {
  type Versioned,
  WorkloadApiError,
  type WorkloadService,
  type WorkloadStatus,
} from "./service.ts";

/** Path of the `.proto` (read at start; include it when compiling). */
export const PROTO_PATH = `${import.meta.dirname}/proto/workload.proto`;

/** Metadata key every request must carry with value `true`. */
export const SECURITY_HEADER = "workload.spiffe.io";

const STATUS: Record<WorkloadStatus, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
  INTERNAL: grpc.status.INTERNAL,
};

/** Options of {@link serveWorkloadApi}. */
export interface WorkloadServerOptions {
  /** Absolute path of the Unix socket. */
  socketPath: string;
  /** Permission bits of the socket. @default 0o666 */
  socketMode?: number;
  /** Response builder. */
  service: WorkloadService;
  /** Caller attestation. */
  attestor: UnixAttestor;
  /**
   * Subscribe to "something changed" (SVIDs, bundles, entries); streams
   * re-evaluate on each call. Returns an unsubscribe function.
   */
  onChange: (cb: () => void) => () => void;
  /** @default nullLogger */
  logger?: Logger;
  /**
   * Called when a call ends, with its method (e.g. `FetchX509SVID`) and
   * gRPC status code: 0 for an answered unary call or a stream the server
   * ended, the error's code for a refused call, 1 (CANCELLED) for a stream
   * the client cancelled or whose connection closed. Must not throw.
   * @default no-op
   */
  onCallEnd?: (method: string, code: grpc.status) => void;
}

/** A running Workload API server. */
export interface WorkloadServer {
  /** `unix:///…`, the value for `SPIFFE_ENDPOINT_SOCKET`. */
  readonly address: string;
  /** Open connections. */
  readonly connections: number;
  /** Open streams. */
  readonly streams: number;
  /** Stop accepting, end all calls, remove the socket file. */
  close(): Promise<void>;
}

type Peer = { ok: AttestedPeer } | { error: string };

let packageDefinition: protoLoader.PackageDefinition | undefined;

function definition(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(PROTO_PATH, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return packageDefinition;
}

/** Start serving on `socketPath`. */
export async function serveWorkloadApi(
  options: WorkloadServerOptions,
): Promise<WorkloadServer> {
  const logger = options.logger ?? nullLogger;
  const { service, attestor } = options;
  const ended = options.onCallEnd ?? (() => {});
  const peers = new Map<string, Peer>();
  let nextId = 0;
  let streams = 0;
  const sockets = new Set<net.Socket>();
  const streamEnds = new Set<() => void>();

  // deno-lint-ignore no-explicit-any
  const proto = grpc.loadPackageDefinition(definition()) as any;
  const server = new grpc.Server();

  /** Check the header and attest; returns the caller's selectors. */
  async function admit(
    call: { metadata: grpc.Metadata; getPeer(): string },
  ): Promise<Set<string>> {
    const header = call.metadata.get(SECURITY_HEADER);
    if (!header.some((v: grpc.MetadataValue) => String(v) === "true")) {
      throw new WorkloadApiError(
        "INVALID_ARGUMENT",
        "security header missing from request",
      );
    }
    const peer = peers.get(call.getPeer());
    if (!peer) {
      throw new WorkloadApiError(
        "UNAVAILABLE",
        "could not verify existence of the original caller",
      );
    }
    if ("error" in peer) throw new WorkloadApiError("UNAVAILABLE", peer.error);
    try {
      return new Set(await attestor.attest(peer.ok));
    } catch (err) {
      logger.warn("workload attestation failed", {
        pid: peer.ok.pid,
        uid: peer.ok.uid,
        error: String((err as Error).message),
      });
      throw new WorkloadApiError("UNAVAILABLE", "workload attestation failed");
    }
  }

  function toStatus(err: unknown): grpc.ServiceError {
    if (err instanceof WorkloadApiError) {
      return Object.assign(new Error(err.message), {
        code: STATUS[err.status],
        details: err.message,
        metadata: new grpc.Metadata(),
      });
    }
    logger.error("workload API call failed", { error: String(err) });
    return Object.assign(new Error("internal error"), {
      code: grpc.status.INTERNAL,
      details: "internal error",
      metadata: new grpc.Metadata(),
    });
  }

  function unary<Req, Res>(
    name: string,
    run: (req: Req, selectors: () => Promise<Set<string>>) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
      run(call.request, () => admit(call)).then(
        (res) => {
          cb(null, res);
          ended(name, grpc.status.OK);
        },
        (err) => {
          logger.debug(`${name} refused`, { error: String(err) });
          const status = toStatus(err);
          cb(status);
          ended(name, status.code);
        },
      );
    };
  }

  /** A server stream that sends `build()` now and on every change. */
  function stream(
    name: string,
    build: (
      selectors: Set<string>,
    ) => Versioned<unknown> | Promise<Versioned<unknown>>,
  ): grpc.handleServerStreamingCall<unknown, unknown> {
    return (call) => {
      let done = false;
      let last = "";
      let unsubscribe = () => {};
      let selectors: Set<string>;
      let pending: Promise<void> = Promise.resolve();
      const finish = (err?: unknown, gone = false) => {
        if (done) return;
        done = true;
        streams--;
        unsubscribe();
        streamEnds.delete(end);
        if (gone) {
          // the client cancelled or the stream closed: nothing to send
          ended(name, grpc.status.CANCELLED);
          return;
        }
        if (err) {
          const status = toStatus(err);
          call.emit("error", status);
          ended(name, status.code);
        } else {
          call.end();
          ended(name, grpc.status.OK);
        }
      };
      const end = () => finish();
      const send = async () => {
        if (done) return;
        try {
          const v = await build(selectors);
          if (done || v.fingerprint === last) return;
          last = v.fingerprint;
          call.write(v.message);
        } catch (err) {
          finish(err);
        }
      };
      streams++;
      streamEnds.add(end);
      call.on("cancelled", () => finish(undefined, true));
      call.on("close", () => finish(undefined, true));
      admit(call).then((s) => {
        selectors = s;
        unsubscribe = options.onChange(() => {
          pending = pending.then(send);
        });
        pending = pending.then(send);
      }, (err) => {
        logger.debug(`${name} refused`, { error: String(err) });
        finish(err);
      });
    };
  }

  server.addService(proto.SpiffeWorkloadAPI.service, {
    FetchX509SVID: stream("FetchX509SVID", (s) => service.x509Svids(s)),
    FetchX509Bundles: stream("FetchX509Bundles", () => service.x509Bundles()),
    FetchJWTBundles: stream("FetchJWTBundles", () => service.jwtBundles()),
    FetchJWTSVID: unary(
      "FetchJWTSVID",
      async (req: { audience: string[]; spiffe_id: string }, admitCall) => {
        const selectors = await admitCall();
        return service.jwtSvids(
          selectors,
          req.audience ?? [],
          req.spiffe_id ?? "",
        );
      },
    ),
    ValidateJWTSVID: unary(
      "ValidateJWTSVID",
      async (req: { audience: string; svid: string }, admitCall) => {
        await admitCall();
        return service.validateJwtSvid(req.audience ?? "", req.svid ?? "");
      },
    ),
  });

  const injector = server.createConnectionInjector(
    grpc.ServerCredentials.createInsecure(),
  );
  const listener = net.createServer((socket) => {
    const id = `uds-peer:${++nextId}`;
    try {
      // deno-lint-ignore no-explicit-any
      const fd = (socket as any)._handle?.fd;
      peers.set(id, { ok: capturePeer(fd) });
    } catch (err) {
      peers.set(id, { error: "could not read the caller's credentials" });
      logger.warn("SO_PEERCRED failed", {
        error: String((err as Error).message),
      });
    }
    Object.defineProperty(socket, "remoteAddress", { value: id });
    sockets.add(socket);
    socket.once("close", () => {
      peers.delete(id);
      sockets.delete(socket);
    });
    injector.injectConnection(socket);
  });

  await prepareSocketPath(options.socketPath, "workloadApi.socketPath");
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.socketPath, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  await Deno.chmod(options.socketPath, options.socketMode ?? 0o666);
  const address = `unix://${options.socketPath}`;
  logger.info("workload API listening", { address });

  return {
    address,
    get connections() {
      return sockets.size;
    },
    get streams() {
      return streams;
    },
    async close() {
      for (const end of [...streamEnds]) end();
      await new Promise<void>((r) => listener.close(() => r()));
      injector.destroy();
      server.forceShutdown();
      for (const s of sockets) s.destroy();
      await Deno.remove(options.socketPath).catch(() => {});
    },
  };
}
