import { StateDirInUseError } from './emulator/persistence';
import { SnapshotError } from './emulator/snapshot';
import { DataDirInUseError } from './runtime/dynamodb';
import { ResetRefusedError, startLocalStack } from './stack';

/**
 * `npm start`: the whole platform on this machine, with the WeChat emulator unless WECHAT_API_BASE
 * is set. Everything (DynamoDB, the deploy queue, the emulator's state) persists under DATA_DIR;
 * `npm start -- --reset` (or `npm run reset`) deletes it first and starts clean.
 */
// One short human line per log record in the operator's terminal; JSON (as on Lambda) when set to anything else.
process.env.MPFLEET_LOG_FORMAT ??= 'pretty';
// After WeChat's 61039 (code privacy scan running) the deploy engine looks again this much later;
// the emulator's scan takes 2 s (EMULATOR_PRIVACY_SCAN_MS), WeChat's up to a minute.
process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS ??= '3';
const reset = process.argv.slice(2).includes('--reset');
const stack = await startLocalStack({ persistEmulator: true, reset, emulator: emulatorOptionsFromEnv(), log: (line) => console.error(line) }).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') {
    const port = Number(process.env.PORT ?? 3000);
    console.error(
      `Port ${port} (the API) or ${process.env.EMULATOR_PORT ?? port + 1} (the WeChat emulator) is in use: stop the other process, or set PORT (the emulator takes PORT+1) or EMULATOR_PORT.`,
    );
  }
  else if ([DataDirInUseError, StateDirInUseError, SnapshotError, ResetRefusedError].some((type) => error instanceof type)) console.error(error.message);
  else console.error(error);
  process.exit(1);
});

const lines = [
  '',
  'mpfleet is running locally',
  `  console              ${stack.url}/console/fleet  (sign in with the operator token below)`,
  `  API                  ${stack.url}`,
  `  health               ${stack.url}/health`,
  `  authorize a tenant   ${stack.url}/authorize`,
  `  operator token       ${stack.operatorToken}`,
  `    ${tokenOrigin()}`,
  `    export MPFLEET_TOKEN=${stack.operatorToken}`,
  `    try: curl -H "Authorization: Bearer ${stack.operatorToken}" ${stack.url}/api/tenants`,
];
if (stack.emulator) {
  lines.push(`  WeChat emulator      ${stack.emulator.url}  (dashboard: ${stack.emulator.url}/__admin; EMULATOR_PORT, default PORT+1)`);
} else {
  lines.push(`  WeChat API           ${process.env.WECHAT_API_BASE}`);
}
lines.push(
  '',
  `Ctrl-C stops everything; state (DynamoDB, queue, WeChat emulator) ${reset ? 'started clean and ' : ''}persists in ${stack.dataDir}`,
  '  (DATA_DIR; `npm start -- --reset` deletes it and starts clean, with a new operator token).',
  '',
);
console.log(lines.join('\n'));

/** Where the token came from, so an operator knows whether an exported MPFLEET_TOKEN still works. */
function tokenOrigin(): string {
  if (stack.operatorTokenSource === 'env') return '(from OPERATOR_TOKEN)';
  if (stack.operatorTokenSource === 'file') return `(the same as before: kept in ${stack.operatorTokenFile})`;
  return `(${reset ? 'new after --reset' : 'new'}: kept in ${stack.operatorTokenFile}, the same on every restart until --reset)`;
}

/**
 * The built-in emulator's rehearsal knobs, as `npm run emulator` reads them: EMULATOR_MINI_PROGRAMS
 * (5 seeded), EMULATOR_LATENCY_MS (0 added to every WeChat call), EMULATOR_AUDIT_DELAY_MS (3000),
 * EMULATOR_FLEET (realistic: a demo fleet where some mini-programs fail WeChat's release gates;
 * ready: all pass), EMULATOR_PRIVACY_SCAN_MS (2000: WeChat's code privacy scan after a commit).
 */
function emulatorOptionsFromEnv(): { miniPrograms?: number; latencyMs?: number; auditDelayMs?: number; fleet: 'ready' | 'realistic'; privacyScanMs: number } {
  const read = (name: string) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      console.error(`${name} must be a number, got ${JSON.stringify(raw)}`);
      process.exit(1);
    }
    return value;
  };
  const [miniPrograms, latencyMs, auditDelayMs, privacyScanMs] = ['EMULATOR_MINI_PROGRAMS', 'EMULATOR_LATENCY_MS', 'EMULATOR_AUDIT_DELAY_MS', 'EMULATOR_PRIVACY_SCAN_MS'].map(read);
  const fleet = process.env.EMULATOR_FLEET || 'realistic';
  if (fleet !== 'ready' && fleet !== 'realistic') {
    console.error(`EMULATOR_FLEET must be ready or realistic, got ${JSON.stringify(fleet)}`);
    process.exit(1);
  }
  return {
    fleet,
    privacyScanMs: privacyScanMs ?? 2000,
    ...(miniPrograms === undefined ? {} : { miniPrograms }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(auditDelayMs === undefined ? {} : { auditDelayMs }),
  };
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nstopping…');
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
