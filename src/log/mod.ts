/**
 * Logging: {@link createLogger}, {@link nullLogger}, secret redaction.
 * @module
 */
export * from "./logger.ts";
export { redact, redactString } from "./redact.ts";
