/**
 * Prometheus metrics: a tiny registry rendering the text exposition format
 * 0.0.4, and the device runtime's metric set. Endpoints and every metric:
 * docs/metrics.md.
 * @module
 */
export * from "./registry.ts";
export * from "./runtime_metrics.ts";
export { escapeHelp, escapeLabelValue, formatValue } from "./_format.ts";
