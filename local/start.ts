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
const reset = process.argv.slice(2).includes('--reset');
const stack = await startLocalStack({ persistEmulator: true, reset, log: (line) => console.error(line) }).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') console.error(`Port ${process.env.PORT ?? 3000} is in use: stop the other process or set PORT.`);
  else if ([DataDirInUseError, StateDirInUseError, SnapshotError, ResetRefusedError].some((type) => error instanceof type)) console.error(error.message);
  else console.error(error);
  process.exit(1);
});

const lines = [
  '',
  'mpfleet is running locally',
  `  API                  ${stack.url}`,
  `  health               ${stack.url}/health`,
  `  authorize a tenant   ${stack.url}/authorize`,
  `  operator token       ${stack.operatorToken}`,
  `    try: curl -H "Authorization: Bearer ${stack.operatorToken}" ${stack.url}/api/tenants`,
];
if (stack.emulator) {
  lines.push(`  WeChat emulator      ${stack.emulator.url}  (dashboard: ${stack.emulator.url}/__admin)`);
} else {
  lines.push(`  WeChat API           ${process.env.WECHAT_API_BASE}`);
}
lines.push(
  '',
  `Ctrl-C stops everything; state (DynamoDB, queue, WeChat emulator) ${reset ? 'started clean and ' : ''}persists in ${stack.dataDir}`,
  '  (DATA_DIR; `npm start -- --reset` deletes it and starts clean).',
  '',
);
console.log(lines.join('\n'));

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
