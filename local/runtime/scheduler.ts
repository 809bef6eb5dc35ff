import type { ScheduledEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Milliseconds between runs of an EventBridge `rate(...)` expression. */
export function rateToMs(expression: string): number {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (!match) throw new Error(`the local scheduler supports rate(...) expressions only, got ${expression}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * How often a scheduled function runs locally: its `rate(...)` expression, or every
 * LOCAL_SCHEDULE_SECONDS when set (tests and rehearsals that cannot wait five minutes for a sweep).
 */
export function localScheduleMs(expression: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_SCHEDULE_SECONDS;
  if (raw === undefined || raw === '') return rateToMs(expression);
  const seconds = Number(raw);
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new Error(`LOCAL_SCHEDULE_SECONDS must be a number of seconds > 0, got ${JSON.stringify(raw)}`);
  return seconds * 1000;
}

export function scheduledEvent(ruleName: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: now.toISOString(),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

/** The local stand-in for an EventBridge rule: a timer that never overlaps its own runs. */
export function startSchedule(options: {
  name: string;
  everyMs: number;
  run: (event: ScheduledEvent) => Promise<unknown>;
  onError?: (error: unknown) => void;
}) {
  let inFlight: Promise<unknown> | undefined;
  const tick = () => {
    if (inFlight) return;
    inFlight = options
      .run(scheduledEvent(options.name))
      .catch((error) => options.onError?.(error))
      .finally(() => {
        inFlight = undefined;
      });
  };
  const timer = setInterval(tick, options.everyMs);
  timer.unref();
  return {
    /** Runs the rule now (used by tests and by the local stack's startup). */
    trigger: async () => {
      tick();
      await inFlight;
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await inFlight;
    },
  };
}
