import { describe, expect, it } from 'vitest';
import { auditPollDue } from '../../../shared/deployments/audit-polling';

const MINUTE = 60_000;
const PERIOD = 5 * MINUTE;

/** The ages (in minutes) at which a reconciler running every 5 minutes, starting `phase` ms after the submission, polls. */
function pollAges(phaseMs: number, days: number): number[] {
  const ages: number[] = [];
  for (let age = phaseMs; age <= days * 24 * 60 * MINUTE; age += PERIOD) if (auditPollDue(age, PERIOD)) ages.push(age / MINUTE);
  return ages;
}

describe('auditPollDue', () => {
  for (const phaseMs of [0, 1, 90_000, PERIOD - 1]) {
    it(`polls once after 10, 20 and 40 minutes, then hourly (runs ${phaseMs} ms out of step)`, () => {
      const ages = pollAges(phaseMs, 7);
      const [first, second, third, ...hourly] = ages;
      expect(first).toBeGreaterThanOrEqual(10);
      expect(first).toBeLessThan(15);
      expect(second! - 20).toBeLessThan(5);
      expect(third! - 40).toBeLessThan(5);
      // Never two polls in one hour after that, never more than an hour (plus a run) without one.
      for (let i = 1; i < hourly.length; i++) expect(hourly[i]! - hourly[i - 1]!).toBeCloseTo(60, 6);
      expect(hourly[0]! - 60).toBeLessThan(5);
      // A week-long audit costs about 170 calls instead of 2,016.
      expect(ages.length).toBeLessThanOrEqual(3 + 7 * 24);
    });
  }

  it('does not poll an audit younger than 10 minutes: its push is still on its way', () => {
    for (let age = 0; age < 10 * MINUTE; age += 30_000) expect(auditPollDue(age, PERIOD)).toBe(false);
  });
});
