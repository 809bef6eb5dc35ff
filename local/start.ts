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
