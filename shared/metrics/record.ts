import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from '../logger';
import { METRICS, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from './definitions';

export interface MetricOptions {
  value?: number;
  /** The value of the metric's breakdown dimension (e.g. the state entered). */
  by?: string;
  /** Searchable in the logs, not a dimension (e.g. the API path of an errcode). */
  metadata?: Record<string, string | number>;
}

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/** Powertools' own reading of POWERTOOLS_METRICS_DISABLED (read at each call: tests turn it on and off). */
const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const switchedOff = () => TRUTHY.has(process.env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase() ?? '');

/**
 * Publishes one data point at once as an EMF log line. Not buffered until the end of the
 * invocation, so a timeout or crash cannot drop it, and no handler needs a flushing middleware.
 * POWERTOOLS_METRICS_DISABLED=true silences it (the local runtime's default).
 */
export function recordMetric(name: MetricName, options: MetricOptions = {}): void {
  const spec: { unit: (typeof METRICS)[MetricName]['unit']; by?: string } = METRICS[name];
  const value = options.value ?? 1;
  if (!Number.isFinite(value)) {
    logger.warn('metric not recorded: value is not a finite number', { metric: name });
    return;
  }
  // A data point costs a Metrics instance of its own: not worth making to write nothing.
  if (switchedOff()) return;
  try {
    const single = metrics.singleMetric();
    if (spec.by && options.by) {
      single.addDimensions({});
      single.addDimensions({ [spec.by]: options.by.slice(0, 64) });
    }
    for (const [key, value] of Object.entries(options.metadata ?? {})) single.addMetadata(key, String(value));
    single.addMetric(name, spec.unit, value);
  } catch (error) {
    // A metric must never fail the work it measures.
    logger.warn('metric not recorded', { metric: name, error: error as Error });
  }
}
