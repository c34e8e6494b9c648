/**
 * The Workload API gRPC server on a Unix socket.
 *
 * **Which connection did a call come on?** Sockets are accepted by our own
 * server (`../net/unix_server.ts`, on the C library: it keeps `node:net`
 * out of start-up) and each one is served by its own HTTP/2 connection
 * object (`./h2/`): its `SO_PEERCRED` (and the caller's start time) are
 * read at accept, and every call on that connection is attested with
 * exactly those credentials — there is no lookup that could hand a call
 * someone else's identity. A connection whose credentials could not be
 * read answers every call with UNAVAILABLE.
 *
 * Every call must carry `workload.spiffe.io: true` (else INVALID_ARGUMENT).
 * Streams send the full state at once and again whenever it changes for
 * that caller (rotation, bundle, entries).
 * @module
 */
import { prepareSocketPath } from "../net/unix_socket.ts";
import { listenUnix, type UnixConnection } from "../net/unix_server.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { schedule } from "../clock.ts";
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
import {
  type JwtSvidRequest,
  type ValidateJwtSvidRequest,
  WORKLOAD_API_METHODS,
  type WorkloadMethodName,
} from "./codec.ts";
import {
  type GrpcCall,
  type GrpcMethod,
  GrpcStatus,
  H2ServerConnection,
  serveGrpcStream,
} from "./h2/mod.ts";

/**
 * Path of the Workload API's `.proto`: the specification `codec.ts` is
 * written from and tested against, and what clients (tests, demo, benches)
 * load. The server itself does not read it.
 */
export const PROTO_PATH = `${import.meta.dirname}/proto/workload.proto`;

/** Metadata key every request must carry with value `true`. */
export const SECURITY_HEADER = "workload.spiffe.io";

const STATUS: Record<WorkloadStatus, number> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  UNIMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  INTERNAL: GrpcStatus.INTERNAL,
};

/**
 * How long {@link WorkloadServer.close} lets ended calls flush and clients
 * hang up after GOAWAY before it cuts the remaining connections.
 */
const CLOSE_GRACE_MS = 500;

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
  onCallEnd?: (method: string, code: number) => void;
}

/** A running Workload API server. */
export interface WorkloadServer {
  /** `unix:///…`, the value for `SPIFFE_ENDPOINT_SOCKET`. */
  readonly address: string;
  /** Open connections. */
  readonly connections: number;
  /** Open streams. */
  readonly streams: number;
  /**
   * Resolves once a first call was answered (an SVID or bundle sent, or the
   * call refused), or the server closed: start-up gives the first caller
   * the process before it goes on.
   */
  readonly answered: Promise<void>;
  /**
   * Stop accepting, end all calls (streams end with OK), send GOAWAY and
   * let clients hang up for up to half a second, cut the connections
   * still open, remove the socket file. Idempotent.
   */
  close(): Promise<void>;
}

type Peer = { ok: AttestedPeer } | { error: string };

/** Start serving on `socketPath`. */
export async function serveWorkloadApi(
  options: WorkloadServerOptions,
): Promise<WorkloadServer> {
  const logger = options.logger ?? nullLogger;
  const { service, attestor } = options;
  const onCallEnd = options.onCallEnd ?? (() => {});
  const firstAnswer = Promise.withResolvers<void>();
  const answered = () => firstAnswer.resolve();
  const ended = (method: string, code: number) => {
    answered();
    onCallEnd(method, code);
  };
  let streams = 0;
  const sockets = new Set<UnixConnection>();
  const connections = new Set<H2ServerConnection>();
  const streamEnds = new Set<() => void>();
  /** Set while closing: called when the last connection has closed. */
  let allClosed = () => {};

  /** Check the header and attest; returns the caller's selectors. */
  async function admit(
    call: GrpcCall<unknown, unknown>,
    peer: Peer,
  ): Promise<Set<string>> {
    if (!call.metadata(SECURITY_HEADER).includes("true")) {
      throw new WorkloadApiError(
        "INVALID_ARGUMENT",
        "security header missing from request",
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

  /** The status and client-safe message for `err`. */
  function toStatus(err: unknown): { code: number; message: string } {
    if (err instanceof WorkloadApiError) {
      return { code: STATUS[err.status], message: err.message };
    }
    logger.error("workload API call failed", { error: String(err) });
    return { code: GrpcStatus.INTERNAL, message: "internal error" };
  }

  type Handler = (call: GrpcCall<unknown, unknown>, peer: Peer) => void;

  function unary<Req>(
    name: string,
    run: (req: Req, selectors: () => Promise<Set<string>>) => Promise<unknown>,
  ): Handler {
    return (call, peer) => {
      run(call.request as Req, () => admit(call, peer)).then(
        (res) => {
          call.write(res);
          call.end();
          ended(name, GrpcStatus.OK);
        },
        (err) => {
          logger.debug(`${name} refused`, { error: String(err) });
          const status = toStatus(err);
          call.fail(status.code, status.message);
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
  ): Handler {
    return (call, peer) => {
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
          // the client cancelled or the connection closed: nothing to send
          ended(name, GrpcStatus.CANCELLED);
          return;
        }
        if (err) {
          const status = toStatus(err);
          call.fail(status.code, status.message);
          ended(name, status.code);
        } else {
          call.end();
          ended(name, GrpcStatus.OK);
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
          answered();
        } catch (err) {
          finish(err);
        }
      };
      streams++;
      streamEnds.add(end);
      call.signal.addEventListener("abort", () => finish(undefined, true));
      admit(call, peer).then((s) => {
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

  const handlers: Record<WorkloadMethodName, Handler> = {
    FetchX509SVID: stream("FetchX509SVID", (s) => service.x509Svids(s)),
    FetchX509Bundles: stream("FetchX509Bundles", () => service.x509Bundles()),
    FetchJWTBundles: stream("FetchJWTBundles", () => service.jwtBundles()),
    FetchJWTSVID: unary(
      "FetchJWTSVID",
      async (req: JwtSvidRequest, admitCall) => {
        const selectors = await admitCall();
        return service.jwtSvids(selectors, req.audience, req.spiffe_id);
      },
    ),
    ValidateJWTSVID: unary(
      "ValidateJWTSVID",
      async (req: ValidateJwtSvidRequest, admitCall) => {
        await admitCall();
        return service.validateJwtSvid(req.audience, req.svid);
      },
    ),
  };

  /** The method table of one connection: every call is attested as `peer`. */
  function methodsFor(peer: Peer) {
    // deno-lint-ignore no-explicit-any
    const table = new Map<string, GrpcMethod<any, any>>();
    for (const [name, codec] of Object.entries(WORKLOAD_API_METHODS)) {
      const handle = handlers[name as WorkloadMethodName];
      table.set(codec.path, { ...codec, handle: (call) => handle(call, peer) });
    }
    return table;
  }

  const onError = (err: unknown) =>
    logger.error("workload API connection failed", { error: String(err) });
  const onConnection = (socket: UnixConnection) => {
    let peer: Peer;
    try {
      peer = { ok: capturePeer(socket.fd) };
    } catch (err) {
      peer = { error: "could not read the caller's credentials" };
      logger.warn("SO_PEERCRED failed", {
        error: String((err as Error).message),
      });
    }
    const methods = methodsFor(peer);
    sockets.add(socket);
    const conn = new H2ServerConnection(socket, {
      onStream: (s) => serveGrpcStream(s, methods, { onError }),
      onClose: () => {
        connections.delete(conn);
        sockets.delete(socket);
        if (sockets.size === 0) allClosed();
      },
      onError,
    });
    connections.add(conn);
  };

  await prepareSocketPath(options.socketPath, "workloadApi.socketPath");
  // e.g. EMFILE on accept: reported, and accepting resumes
  const listener = await listenUnix({
    path: options.socketPath,
    onConnection,
    onError: (err) =>
      logger.error("workload API socket error", { error: String(err) }),
  });
  await Deno.chmod(options.socketPath, options.socketMode ?? 0o666);
  const address = `unix://${options.socketPath}`;
  logger.info("workload API listening", { address });
  let closing: Promise<void> | undefined;

  return {
    address,
    get connections() {
      return connections.size;
    },
    get streams() {
      return streams;
    },
    answered: firstAnswer.promise,
    close() {
      answered();
      return closing ??= shutdown();
    },
  };

  /** See {@link WorkloadServer.close}. */
  async function shutdown(): Promise<void> {
    // `listener.close()` resolves only once every connection has ended, and
    // a workload's gRPC channel stays connected for as long as the workload
    // runs: stop accepting, end the calls, GOAWAY, give the clients a
    // moment to hang up, cut the rest, then wait for the listener.
    const closed = listener.close();
    for (const end of [...streamEnds]) end();
    for (const c of connections) c.goaway();
    if (sockets.size > 0) {
      let cancel = () => {};
      await new Promise<void>((r) => {
        allClosed = r;
        cancel = schedule(r, CLOSE_GRACE_MS);
      });
      cancel();
    }
    for (const c of connections) c.destroy();
    for (const s of sockets) s.destroy();
    await closed;
    await Deno.remove(options.socketPath).catch(() => {});
  }
}
