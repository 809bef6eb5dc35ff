import { describe, expect, it } from 'vitest';
import { localScheduleMs, rateToMs, startSchedule } from '../../../local/runtime/scheduler';

describe('EventBridge schedule stand-in', () => {
  it('understands rate expressions and refuses what it cannot honour', () => {
    expect(rateToMs('rate(5 minutes)')).toBe(300_000);
    expect(rateToMs('rate(1 hour)')).toBe(3_600_000);
    expect(() => rateToMs('cron(0 * * * ? *)')).toThrow(/rate/);
  });

  it('runs every LOCAL_SCHEDULE_SECONDS when set, the rate otherwise', () => {
    expect(localScheduleMs('rate(5 minutes)', {})).toBe(300_000);
    expect(localScheduleMs('rate(5 minutes)', { LOCAL_SCHEDULE_SECONDS: '3' })).toBe(3000);
    expect(() => localScheduleMs('rate(5 minutes)', { LOCAL_SCHEDULE_SECONDS: '0' })).toThrow(/LOCAL_SCHEDULE_SECONDS/);
  });

  it('delivers a Scheduled Event and never overlaps a run still in flight', async () => {
    const events: string[] = [];
    let release!: () => void;
    const schedule = startSchedule({
      name: 'token-refresher',
      everyMs: 10,
      run: async (event) => {
        events.push(event['detail-type']);
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await new Promise((r) => setTimeout(r, 80));
    expect(events).toEqual(['Scheduled Event']);
    release();
    await schedule.stop();
  });
});
