/** Label names to values of one series. */
export type Labels = Readonly<Record<string, string>>;

interface Metric {
  render(): Promise<string> | string;
}

/**
 * A Prometheus text-format (0.0.4) registry: counters, gauges computed at scrape time and
 * histograms, enough for `/metrics` without a metrics library.
 */
export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  /** A gauge whose series `collect` returns at every scrape. */
  gauge(
    name: string,
    help: string,
    collect: () => Promise<ReadonlyArray<readonly [Labels, number]>>,
  ): void;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** The exposition text of every metric. */
  render(): Promise<string>;
}

/** A monotonically increasing count per label set. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** Observations counted into cumulative buckets per label set. */
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** Creates an empty {@link MetricsRegistry}. */
export function createMetricsRegistry(): MetricsRegistry {
  const metrics: Metric[] = [];
  return {
    counter(name, help) {
      const values = new Map<string, { labels: Labels; value: number }>();
      metrics.push({
        render: () =>
          header(name, help, 'counter') +
          [...values.values()].map((s) => line(name, s.labels, s.value)).join(''),
      });
      return {
        inc(labels = {}, by = 1) {
          const key = labelKey(labels);
          const series = values.get(key) ?? { labels, value: 0 };
          series.value += by;
          values.set(key, series);
        },
      };
    },

    gauge(name, help, collect) {
      metrics.push({
        render: async () =>
          header(name, help, 'gauge') +
          (await collect()).map(([labels, value]) => line(name, labels, value)).join(''),
      });
    },

    histogram(name, help, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const series = new Map<
        string,
        { labels: Labels; counts: number[]; sum: number; n: number }
      >();
      metrics.push({
        render: () => {
          let text = header(name, help, 'histogram');
          for (const s of series.values()) {
            bounds.forEach((bound, i) => {
              text += line(`${name}_bucket`, { ...s.labels, le: String(bound) }, s.counts[i] ?? 0);
            });
            text += line(`${name}_bucket`, { ...s.labels, le: '+Inf' }, s.n);
            text += line(`${name}_sum`, s.labels, s.sum);
            text += line(`${name}_count`, s.labels, s.n);
          }
          return text;
        },
      });
      return {
        observe(value, labels = {}) {
          const key = labelKey(labels);
          let s = series.get(key);
          if (!s) {
            s = { labels, counts: bounds.map(() => 0), sum: 0, n: 0 };
            series.set(key, s);
          }
          for (let i = 0; i < bounds.length; i++) {
            if (value <= (bounds[i] as number)) s.counts[i] = (s.counts[i] ?? 0) + 1;
          }
          s.sum += value;
          s.n += 1;
        },
      };
    },

    async render() {
      const parts = await Promise.all(metrics.map((metric) => metric.render()));
      return parts.join('');
    },
  };
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

function line(name: string, labels: Labels, value: number): string {
  const entries = Object.entries(labels);
  const rendered = entries.length
    ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
    : '';
  return `${name}${rendered} ${formatValue(value)}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}
