import { vi } from 'vitest';

/** One data point as CloudWatch would extract it from an EMF log line. */
export interface EmittedMetric {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  /** The dimension sets CloudWatch publishes the point under, e.g. [['service'], ['service', 'state']]. */
  dimensionSets: string[][];
  /** Every top-level field of the line: dimension values and metadata. */
  fields: Record<string, unknown>;
}

export interface MetricsCapture {
  all(): EmittedMetric[];
  named(name: string): EmittedMetric[];
  /** Sum of a metric's values, optionally for one value of a field (e.g. state = 'released'). */
  sum(name: string, where?: Record<string, string>): number;
  stop(): void;
}

/**
 * Turns metrics on (vitest.config turns them off) and collects the EMF lines the functions write
 * to stdout, leaving every other line alone.
 */
export function captureMetrics(): MetricsCapture {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const lines: EmittedMetric[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    if (!text.includes('"_aws"')) return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    for (const line of text.split('\n').filter(Boolean)) lines.push(...parseEmf(line));
    return true;
  }) as typeof process.stdout.write);

  const named = (name: string) => lines.filter((m) => m.name === name);
  return {
    all: () => [...lines],
    named,
    sum: (name, where = {}) =>
      named(name)
        .filter((m) => Object.entries(where).every(([key, value]) => m.fields[key] === value))
        .reduce((total, m) => total + m.value, 0),
    stop: () => {
      spy.mockRestore();
      if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = previous;
    },
  };
}

function parseEmf(line: string): EmittedMetric[] {
  const record = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  };
  const { _aws, ...fields } = record;
  return _aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Metrics.map((metric) => ({
      namespace: directive.Namespace,
      name: metric.Name,
      unit: metric.Unit,
      value: Number(fields[metric.Name]),
      dimensionSets: directive.Dimensions,
      fields,
    })),
  );
}
