/**
 * A small gRPC server over HTTP/2, enough for the Workload API (unary and
 * server-streaming calls, no compression, no TLS): HPACK, the HTTP/2
 * connection with flow control, and the gRPC call layer. It replaces
 * `@grpc/grpc-js` + Deno's `node:http2` in the runtime, which cost ~50 ms
 * and several MiB at every start and closed a connection after ~1,000
 * cancelled streams.
 * @module
 */
export * from "./connection.ts";
export * from "./frame.ts";
export * from "./grpc.ts";
export * from "./hpack.ts";
export * from "./stream.ts";
