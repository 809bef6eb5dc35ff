import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatPrettyLine, logger } from '../../shared/logger';

describe('pretty log lines', () => {
  it('print time, level, function, message and the extra keys on one line', () => {
    const at = new Date(2026, 10, 30, 14, 3, 7);
    const line = formatPrettyLine({
      level: 'WARN',
      message: 'target stopped',
      timestamp: at.toISOString(),
      service: 'mpfleet',
      cold_start: true,
      function_name: 'deploy-worker',
      function_request_id: 'r-1',
      sampling_rate: 0,
      appid: 'wx34da01b443c7fdb4',
      state: 'failed',
      error: 85013,
      detail: { a: 1 },
      reason: 'not in the library',
    });
    expect(line).toBe(
      '14:03:07 WARN   deploy-worker  target stopped  appid=wx34da01b443c7fdb4 state=failed error=85013 detail={"a":1} reason="not in the library"',
    );
  });

  it('show an error by its message (and code), not its stack', () => {
    const line = formatPrettyLine({ level: 'ERROR', message: 'batch failed', service: 'mpfleet', error: { name: 'Error', message: 'boom', stack: 'Error: boom\n  at x' } });
    expect(line).toMatch(/^\d\d:\d\d:\d\d ERROR {2}mpfleet {2}batch failed {2}error="boom"$/);
  });
});

describe('the shared logger', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const capture = () => {
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
        written.push(chunk.toString());
        return true;
      }) as typeof stream.write);
    }
    return written;
  };

  it('prints JSON by default (as on Lambda)', () => {
    const written = capture();
    logger.error('target stopped', { appid: 'wx1' });
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({ level: 'ERROR', message: 'target stopped', appid: 'wx1' });
  });

  it('prints one pretty line when MPFLEET_LOG_FORMAT=pretty', () => {
    vi.stubEnv('MPFLEET_LOG_FORMAT', 'pretty');
    const written = capture();
    logger.error('target stopped', { appid: 'wx1', state: 'failed' });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d\d:\d\d:\d\d ERROR {2}mpfleet {2}target stopped {2}appid=wx1 state=failed\n$/);
  });
});
