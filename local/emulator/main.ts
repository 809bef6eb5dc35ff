/**
 * `npm run emulator`: the WeChat emulator on its own, for rehearsing against a service running
 * elsewhere. Configuration (all optional):
 *   PORT (3100), HOST (127.0.0.1),
 *   EMULATOR_SERVICE_URL (http://127.0.0.1:3000) — pushes go to <it>/wechat/ticket and
 *     <it>/wechat/callback/$APPID$, unless EMULATOR_TICKET_URL / EMULATOR_CALLBACK_URL say otherwise,
 *   EMULATOR_MINI_PROGRAMS (5), EMULATOR_AUDIT_DELAY_MS (3000), EMULATOR_AUDIT_OUTCOME (approve;
 *     when set, it also replaces an outcome kept from an earlier run),
 *   EMULATOR_FLEET (realistic: a mix of mini-programs that pass and fail WeChat's release gates;
 *     ready: all pass), EMULATOR_PRIVACY_SCAN_MS (2000: how long the code privacy scan runs),
 *   DATA_DIR (.local) — the state is kept in <DATA_DIR>/emulator/ and a restart continues from it;
 *     `npm run emulator -- --reset` deletes that folder first and starts clean.
 */
import path from 'node:path';
import { removeStateDir } from './persistence';
import { createEmulator } from './server';
import { FLEETS } from './fixtures';
import type { Fleet } from './fixtures';
import { AUDIT_OUTCOMES } from './settings';
import type { AuditOutcome } from './settings';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

/** Only when set: otherwise the outcome kept from the last run (or the default, approve) applies. */
function outcomeFromEnv(): { auditOutcome?: AuditOutcome } {
  const raw = process.env.EMULATOR_AUDIT_OUTCOME;
  if (raw === undefined || raw === '') return {};
  if (!AUDIT_OUTCOMES.includes(raw as AuditOutcome)) throw new Error(`EMULATOR_AUDIT_OUTCOME must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  return { auditOutcome: raw as AuditOutcome };
}

function fleetFromEnv(): Fleet {
  const raw = process.env.EMULATOR_FLEET;
  if (raw === undefined || raw === '') return 'realistic';
  if (!FLEETS.includes(raw as Fleet)) throw new Error(`EMULATOR_FLEET must be one of ${FLEETS.join(', ')}`);
  return raw as Fleet;
}

async function main(): Promise<void> {
  const serviceUrl = (process.env.EMULATOR_SERVICE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const ticketUrl = process.env.EMULATOR_TICKET_URL ?? `${serviceUrl}/wechat/ticket`;
  const callbackUrlTemplate = process.env.EMULATOR_CALLBACK_URL ?? `${serviceUrl}/wechat/callback/$APPID$`;
  const stateDir = path.resolve(process.env.DATA_DIR || '.local', 'emulator');
  if (process.argv.slice(2).includes('--reset')) {
    removeStateDir(stateDir);
    console.log(`--reset: deleted ${stateDir}`);
  }
  const emulator = await createEmulator({
    port: numberFromEnv('PORT', 3100),
    host: process.env.HOST ?? '127.0.0.1',
    miniPrograms: numberFromEnv('EMULATOR_MINI_PROGRAMS', 5),
    auditDelayMs: numberFromEnv('EMULATOR_AUDIT_DELAY_MS', 3000),
    fleet: fleetFromEnv(),
    privacyScanMs: numberFromEnv('EMULATOR_PRIVACY_SCAN_MS', 2000),
    ...outcomeFromEnv(),
    ticketUrl,
    callbackUrlTemplate,
    stateDir,
    log: (line) => console.log(`[emulator] ${line}`),
  });
  const { url, platform, state } = emulator;
  const seeded = state.seeded;
  console.log(`
WeChat emulator (mpfleet) — nothing here talks to the real WeChat.

  API base (WECHAT_API_BASE)       ${url}
  PC authorization page             ${url}/cgi-bin/componentloginpage
  Mobile authorization page         ${url}/wxaopen/safe/bindcomponent
  Dashboard                         ${url}/__admin

  WECHAT_COMPONENT_APPID            ${platform.componentAppid}
  WECHAT_COMPONENT_SECRET           ${platform.componentSecret}
  WECHAT_TOKEN                      ${platform.token}
  WECHAT_ENCODING_AES_KEY           ${platform.encodingAesKey}

  Component pushes go to            ${ticketUrl}
  Message pushes go to              ${callbackUrlTemplate}
  State kept in                     ${stateDir}  (--reset starts clean)

  Seeded mini-programs (${seeded.length}):
${seeded
  .slice(0, 10)
  .map((mp) => `    ${mp.appid}  ${mp.userName}  ${mp.nickName}`)
  .join('\n')}${seeded.length > 10 ? `\n    … and ${seeded.length - 10} more (GET ${url}/__admin/state)` : ''}

Press Ctrl-C to stop.
`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: closing the emulator…`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
