import { afterEach, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../../shared/metrics/definitions';
import { recordMetric } from '../../../shared/metrics/record';
import { captureMetrics, type MetricsCapture } from '../../support/metrics';

let capture: MetricsCapture | undefined;
afterEach(() => capture?.stop());

describe('recordMetric', () => {
  it('publishes each point under service alone (for alarms) and under its breakdown (for the dashboard)', () => {
    capture = captureMetrics();
    recordMetric('DeployTransition', { by: 'released' });
    expect(capture.all()).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        name: 'DeployTransition',
        unit: 'Count',
        value: 1,
        dimensionSets: [['service'], ['service', 'state']],
        fields: { service: METRICS_SERVICE, state: 'released', DeployTransition: 1 },
      },
    ]);
  });

  it('publishes a metric without a breakdown under service only, with its unit and value', () => {
    capture = captureMetrics();
    recordMetric('VerifyTicketAgeSeconds', { value: 615 });
    expect(capture.all()).toMatchObject([{ name: 'VerifyTicketAgeSeconds', unit: 'Seconds', value: 615, dimensionSets: [['service']] }]);
  });

  it('keeps metadata out of the dimensions, so an API path cannot multiply the metrics', () => {
    capture = captureMetrics();
    recordMetric('WeChatError', { by: '85009', metadata: { api: '/wxa/submit_audit' } });
    const [point] = capture.all();
    expect(point!.dimensionSets).toEqual([['service'], ['service', 'errcode']]);
    expect(point!.fields).toMatchObject({ errcode: '85009', api: '/wxa/submit_audit' });
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true', () => {
    capture = captureMetrics();
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    recordMetric('TenantRevoked');
    expect(capture.all()).toEqual([]);
  });

  it('drops a value CloudWatch would refuse instead of throwing into the work it measures', () => {
    capture = captureMetrics();
    expect(() => recordMetric('VerifyTicketAgeSeconds', { value: Number.NaN })).not.toThrow();
    expect(capture.all()).toEqual([]);
  });
});
