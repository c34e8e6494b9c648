/**
 * File sinks: SVIDs written as PEM files (atomically) for programs without
 * Workload API support, then the program is signalled or a command is run.
 * @module
 */
export * from "./file_sink.ts";
export * from "./reload.ts";
export * from "./write.ts";
