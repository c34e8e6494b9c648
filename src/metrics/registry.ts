/**
 * A tiny Prometheus registry: counters and gauges with labels, gauges
 * optionally computed at scrape time, rendered in the text exposition
 * format 0.0.4. Pure: no I/O, no timers, no global state — the admin API
 * serves {@link MetricsRegistry.render}.
 *
 * Families are rendered in name order, samples in label-value order, so two
 * scrapes of the same state are byte-identical. A family without samples
 * (a labelled counter never incremented, a collector returning nothing) is
 * left out, as client_golang does.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const renewals = registry.counter({
 *   name: "edge_runtime_renewals_total",
 *   help: "Node certificate renewals by result.",
 *   labelNames: ["result"],
 * });
 * renewals.inc({ result: "ok" });
 * registry.gauge({
 *   name: "edge_runtime_node_certificate_not_after_seconds",
 *   help: "NotAfter of the node certificate (unix seconds).",
 *   collect: () => notAfterMs / 1000,
 * });
 * const text = registry.render();
 * ```
 * @module
 */
import {
  escapeHelp,
  formatLabels,
  formatValue,
  LABEL_NAME,
  METRIC_NAME,
} from "./_format.ts";

/** Label values keyed by label name (every declared name, nothing else). */
export type LabelValues<L extends string> = { readonly [K in L]: string };

/** One sample a collector (of a gauge or a counter) returns. */
export interface GaugeSample<L extends string> {
  labels: LabelValues<L>;
  value: number;
}

/** What every metric is declared with. */
export interface MetricOptions<L extends string> {
  /** Full name, e.g. `edge_runtime_renewals_total`; counters should end in `_total`. */
  name: string;
  /** One line for `# HELP`. */
  help: string;
  /** Label names, in the order they are rendered. @default [] */
  labelNames?: readonly L[];
}

/**
 * Options of {@link MetricsRegistry.counter}. With `collect`, the count is
 * kept elsewhere (a part's own statistics) and read at scrape time; the
 * collector must return a value that never decreases.
 */
export interface CounterOptions<L extends string> extends MetricOptions<L> {
  /**
   * Read the count at scrape time instead of {@link Counter.inc}: a number
   * (only for a counter without labels), samples, or `undefined` for no
   * sample now. A collector that throws contributes no samples to that scrape.
   */
  collect?: () => number | undefined | readonly GaugeSample<L>[];
}

/** Options of {@link MetricsRegistry.gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /**
   * Compute the value at scrape time instead of {@link Gauge.set}: a number
   * (only for a gauge without labels), samples, or `undefined` for no sample
   * now. A collector that throws contributes no samples to that scrape.
   */
  collect?: () => number | undefined | readonly GaugeSample<L>[];
}

/** A monotonically increasing count. */
export interface Counter<L extends string = never> {
  readonly name: string;
  /** Add `by` (default 1, must be ≥ 0) to the series with `labels`. */
  inc(labels?: LabelValues<L>, by?: number): void;
  /** The current value of the series (0 when never incremented). */
  value(labels?: LabelValues<L>): number;
  /**
   * The series with `labels`, resolved once (and created at 0, so it is
   * rendered): for hot paths, its `inc()` is a plain addition without
   * label lookup or allocation.
   */
  child(labels?: LabelValues<L>): CounterChild;
}

/** One series of a {@link Counter}, bound to its label values. */
export interface CounterChild {
  /** Add `by` (default 1, must be ≥ 0). */
  inc(by?: number): void;
  /** The current value. */
  value(): number;
}

/** A value that goes up and down. */
export interface Gauge<L extends string = never> {
  readonly name: string;
  /** Set the series with `labels` to `value`. */
  set(labels: LabelValues<L> | undefined, value: number): void;
  /** Add `by` (default 1; negative to subtract). */
  inc(labels?: LabelValues<L>, by?: number): void;
  /** The current set value (0 when never set; collectors are not run). */
  value(labels?: LabelValues<L>): number;
}

interface Series {
  values: string[];
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  labelNames: readonly string[];
  series: Map<string, Series>;
  collect?: () => number | undefined | readonly GaugeSample<string>[];
}

/** A set of metrics rendered together. */
export class MetricsRegistry {
  #families = new Map<string, Family>();

  /**
   * Declare a counter (incremented directly, or read by `collect`). Throws
   * `TypeError` for a bad or duplicate name.
   */
  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    const f = this.#declare("counter", options);
    f.collect = options.collect as Family["collect"];
    const check = (by: number) => {
      if (f.collect) {
        throw new TypeError(`${f.name}: a collected counter cannot be set`);
      }
      if (!(by >= 0)) {
        throw new RangeError(
          `${f.name}: a counter can only increase, got ${by}`,
        );
      }
    };
    return {
      name: f.name,
      inc: (labels, by = 1) => {
        check(by);
        this.#series(f, labels).value += by;
      },
      value: (labels) => this.#peek(f, labels),
      child: (labels) => {
        check(0);
        const s = this.#series(f, labels);
        return {
          inc: (by = 1) => {
            if (!(by >= 0)) check(by);
            s.value += by;
          },
          value: () => s.value,
        };
      },
    };
  }

  /** Declare a gauge (set directly, or computed by `collect`). */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    const f = this.#declare("gauge", options);
    f.collect = options.collect as Family["collect"];
    const direct = () => {
      if (f.collect) {
        throw new TypeError(`${f.name}: a collected gauge cannot be set`);
      }
    };
    return {
      name: f.name,
      set: (labels, value) => {
        direct();
        this.#series(f, labels).value = value;
      },
      inc: (labels, by = 1) => {
        direct();
        this.#series(f, labels).value += by;
      },
      value: (labels) => this.#peek(f, labels),
    };
  }

  /** Names of the declared metrics, sorted. */
  names(): string[] {
    return [...this.#families.keys()].sort();
  }

  /** The text exposition (format 0.0.4); "" for an empty registry. */
  render(): string {
    const out: string[] = [];
    for (const name of this.names()) {
      const f = this.#families.get(name)!;
      const samples = this.#samples(f);
      if (samples.length === 0) continue;
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      for (const s of samples) {
        out.push(
          `${f.name}${formatLabels(f.labelNames, s.values)} ${
            formatValue(s.value)
          }`,
        );
      }
    }
    return out.length ? out.join("\n") + "\n" : "";
  }

  #samples(f: Family): Series[] {
    let list: Series[];
    if (f.collect) {
      let got;
      try {
        got = f.collect();
      } catch {
        return [];
      }
      if (got === undefined) return [];
      if (typeof got === "number") {
        if (f.labelNames.length) return [];
        list = [{ values: [], value: got }];
      } else {
        list = [];
        for (const s of got) {
          try {
            list.push({ values: this.#values(f, s.labels), value: s.value });
          } catch {
            // a sample with the wrong labels is dropped, not rendered wrongly
          }
        }
      }
    } else list = [...f.series.values()];
    return list.sort((a, b) => compare(a.values, b.values));
  }

  #declare(type: Family["type"], o: MetricOptions<string>): Family {
    if (!METRIC_NAME.test(o.name)) {
      throw new TypeError(`metric name "${o.name}" is not a valid name`);
    }
    if (this.#families.has(o.name)) {
      throw new TypeError(`metric "${o.name}" is already registered`);
    }
    const labelNames = [...(o.labelNames ?? [])];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__")) {
        throw new TypeError(`${o.name}: label name "${l}" is not valid`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new TypeError(`${o.name}: label names repeat`);
    }
    const f: Family = {
      name: o.name,
      help: o.help,
      type,
      labelNames,
      series: new Map(),
    };
    this.#families.set(o.name, f);
    return f;
  }

  #values(f: Family, labels: Record<string, string> | undefined): string[] {
    const given = labels ?? {};
    const keys = Object.keys(given);
    const extra = keys.find((k) => !f.labelNames.includes(k));
    if (extra !== undefined) {
      throw new TypeError(`${f.name}: unknown label "${extra}"`);
    }
    return f.labelNames.map((n) => {
      const v = given[n];
      if (typeof v !== "string") {
        throw new TypeError(`${f.name}: label "${n}" needs a string value`);
      }
      return v;
    });
  }

  #series(f: Family, labels: Record<string, string> | undefined): Series {
    const values = this.#values(f, labels);
    const key = JSON.stringify(values);
    let s = f.series.get(key);
    if (!s) f.series.set(key, s = { values, value: 0 });
    return s;
  }

  #peek(f: Family, labels: Record<string, string> | undefined): number {
    return f.series.get(JSON.stringify(this.#values(f, labels)))?.value ?? 0;
  }
}

function compare(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}
