import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { DeploymentSummary } from '../shared/contract/operator-api';
import { countsInline, LIFECYCLE, orderedCounts, stripControls } from './format';
import type { OutputStream } from './io';
import { rolloutWaitLine, waveDone, waveLabel, waveLines } from './rollout';

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

/**
 * One plain line per change: the deployment's counts; for a staged rollout also each wave's line
 * (`wave 1/3 (5%)  open  2/5 at rest  auditing 3, released 2`) and what the rollout waits for, each
 * printed again only when it changed.
 */
export class LinesDisplay implements ProgressDisplay {
  private readonly last = new Map<string, string>();

  constructor(private readonly stream: OutputStream) {}

  update(view: DeploymentSummary): void {
    this.write('deployment', progressLine(view));
    if (!view.rollout) return;
    waveLines({ ...view, rollout: view.rollout }).forEach((line, i) => this.write(`wave ${i}`, line));
    const wait = rolloutWaitLine(view);
    if (wait) this.write('wait', wait);
    else this.last.delete('wait');
  }

  private write(key: string, text: string): void {
    const line = stripControls(text);
    if (this.last.get(key) === line) return;
    this.last.set(key, line);
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

/**
 * One bar per target state seen so far, each out of the deployment's total; for a staged rollout,
 * one bar per wave instead (its targets at rest out of its targets, with its state and counts),
 * under them what the rollout waits for.
 */
export class BarsDisplay implements ProgressDisplay {
  private readonly multibar: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private waitBar: SingleBar | undefined;

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
    if (view.rollout) return this.updateWaves(view);
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

  private updateWaves(view: DeploymentSummary): void {
    const waves = view.rollout!.waves;
    const labels = waves.map((wave) => waveLabel(wave, waves.length));
    const width = Math.max(...labels.map((label) => label.length));
    for (const [i, wave] of waves.entries()) {
      const done = waveDone(wave, view.submitAudit);
      const payload = { state: stripControls(labels[i]!).padEnd(width), detail: stripControls(`${wave.state}  ${countsInline(wave.counts)}`) };
      const bar = this.bars.get(`wave ${i}`);
      if (!bar) {
        this.bars.set(`wave ${i}`, this.multibar.create(wave.total, done, payload, { format: ' {state} {bar} {value}/{total}  {detail}' }));
        continue;
      }
      bar.setTotal(wave.total);
      bar.update(done, payload);
    }
    const wait = stripControls(rolloutWaitLine(view) ?? '');
    if (!this.waitBar) this.waitBar = this.multibar.create(1, 0, { text: wait }, { format: ' {text}' });
    else this.waitBar.update(0, { text: wait });
  }

  stop(): void {
    this.multibar.stop();
  }
}
