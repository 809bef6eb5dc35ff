import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { DeploymentSummary } from '../shared/contract/operator-api';
import { countsInline, LIFECYCLE, orderedCounts, stripControls } from './format';
import type { OutputStream } from './io';

/** How `--watch` shows a deployment moving: fed every poll, stopped once before the final summary. */
export interface ProgressDisplay {
  update(view: DeploymentSummary): void;
  stop(): void;
}

/** Longest target state name (`reverting_gray`), so bars line up whatever order states appear in. */
const STATE_WIDTH = Math.max(...LIFECYCLE.map((state) => state.length));

/** A terminal gets live bars; a pipe or a CI log gets one plain line per change. */
export function progressDisplay(stream: OutputStream): ProgressDisplay {
  return stream.isTTY ? new BarsDisplay(stream) : new LinesDisplay(stream);
}

export const silentDisplay: ProgressDisplay = { update: () => {}, stop: () => {} };

/** `running: committing 1, committed 1 (2 targets)` */
export function progressLine(view: DeploymentSummary): string {
  return `${view.status}: ${countsInline(view.counts)} (${view.total} target${view.total === 1 ? '' : 's'})`;
}

export class LinesDisplay implements ProgressDisplay {
  private last = '';

  constructor(private readonly stream: OutputStream) {}

  update(view: DeploymentSummary): void {
    const line = stripControls(progressLine(view));
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

/** One bar per target state seen so far, each out of the deployment's total. */
export class BarsDisplay implements ProgressDisplay {
  private readonly multibar: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(stream: OutputStream) {
    this.multibar = new MultiBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: ' {state} {bar} {value}/{total}',
        barsize: 30,
        clearOnComplete: false,
        autopadding: true,
        fps: 5,
      },
      Presets.shades_classic,
    );
  }

  update(view: DeploymentSummary): void {
    for (const [state, n] of orderedCounts(view.counts)) {
      if (!this.bars.has(state)) this.bars.set(state, this.multibar.create(view.total, n, { state: stripControls(state).padEnd(STATE_WIDTH) }));
    }
    // A state that emptied keeps its bar, at zero: the operator sees targets moved on.
    const counts: Partial<Record<string, number>> = view.counts;
    for (const [state, bar] of this.bars) {
      bar.setTotal(view.total);
      bar.update(counts[state] ?? 0);
    }
  }

  stop(): void {
    this.multibar.stop();
  }
}
