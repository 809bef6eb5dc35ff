import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { services } from '../../shared/services';
import { AuthorizerApi } from '../../shared/wechat/authorizer-api';
import { ComponentApi } from '../../shared/wechat/component-api';
import { WeChatHttp } from '../../shared/wechat/http';
import { DEPLOY_QUEUE } from '../../infra/functions';
import type { LocalStack } from '../stack';
import { authorizeAll } from './authorize';
import { emulatorAdmin, lastTargetChangeMs, operatorApi, seededAppids, sleep } from './clients';

export interface FanOutResult {
  tenants: number;
  latencyMs: number;
  mpfleetSeconds: number;
  naiveSeconds: number;
  speedup: number;
  floorSeconds: number;
  distanceFromFloor: number;
  mpfleetCallsPerTenant: number;
  mpfleetTokenFetches: number;
  naiveTokenFetches: number;
  acceptedMs: number;
}

type Call = { kind: string; path: string; errcode?: number };
/** How often the bench looks at the deployment: the CLI's `status --watch` default. */
const WATCH_EVERY_MS = 1000;
const TOKEN_PATHS = new Set(['/cgi-bin/component/api_component_token', '/cgi-bin/component/api_authorizer_token']);

/**
 * mpfleet's fan-out (commit + submit_audit for every tenant) against the way most platforms do it
 * today — one loop: refresh the token, commit, submit, next tenant — on the same emulator with
 * the same per-call latency, in the same run.
 */
export async function benchFanOut(stack: LocalStack, tenants: number, latencyMs: number): Promise<FanOutResult> {
  const emulator = stack.emulator!;
  const admin = emulatorAdmin(stack);
  const operator = operatorApi(stack);
  const calls = async () => ((await admin('/calls')).calls as Call[]).filter((c) => c.kind === 'api');

  const appids = (await seededAppids(stack)).slice(0, tenants);
  await admin('/faults', {}, 'DELETE');
  await authorizeAll(stack, appids);
  // Audits approve quickly and silently, so the naive loop can submit again right after mpfleet.
  await admin('/audit-outcome', { outcome: 'silent' });
  await admin('/faults', { latencyMs });

  // mpfleet: one call, then watch until every target is submitted, once a second as the CLI does
  // (a view counts all the targets, so a closer watch loads what it measures). The fan-out ends
  // when mpfleet recorded its last submit, not when the watch saw it.
  await admin('/calls', undefined, 'DELETE');
  let start = Date.now();
  const { id } = await operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '8.0.0', userDesc: 'bench', release: 'manual' }) });
  const acceptedMs = Date.now() - start;
  for (;;) {
    await sleep(WATCH_EVERY_MS);
    const view = await operator(`/api/deployments/${id}?limit=1`);
    const counts = view.counts as Record<string, number>;
    if ((counts.auditing ?? 0) + (counts.approved ?? 0) >= tenants || view.status === 'completed') break;
  }
  const mpfleetSeconds = ((await lastTargetChangeMs(operator, id as string)) - start) / 1000;
  const mpfleetCalls = await calls();

  // The naive loop, with its own clients, tokens refreshed per tenant as such loops do.
  const p = services();
  const http = new WeChatHttp({ apiBase: emulator.url });
  const component = new ComponentApi(http, emulator.platform.componentAppid);
  const authorizer = new AuthorizerApi(http);
  await admin('/calls', undefined, 'DELETE');
  start = Date.now();
  const componentToken = await p.componentToken.get();
  for (const appid of appids) {
    const { Item } = await p.db.send(new GetCommand({ TableName: p.table, Key: { pk: `TENANT#${appid}`, sk: 'AUTHORIZER_TOKEN' } }));
    const { authorizer_access_token: token } = await component.authorizerToken(componentToken, appid, Item!.refreshToken as string);
    await authorizer.commit(token, { template_id: 1, ext_json: JSON.stringify({ extAppid: appid }), user_version: '8.0.1', user_desc: 'naive' });
    await authorizer.submitAudit(token, { version_desc: 'naive' });
  }
  const naiveSeconds = (Date.now() - start) / 1000;
  const naiveCalls = await calls();
  await admin('/faults', {}, 'DELETE');
  await admin('/audit-outcome', { outcome: 'approve' });

  const workCalls = tenants * 2; // commit + submit_audit
  const floorSeconds = (workCalls * latencyMs) / 1000 / (DEPLOY_QUEUE.maxConcurrency * DEPLOY_QUEUE.batchSize);
  return {
    tenants,
    latencyMs,
    mpfleetSeconds,
    naiveSeconds,
    speedup: naiveSeconds / mpfleetSeconds,
    floorSeconds,
    distanceFromFloor: mpfleetSeconds / floorSeconds,
    mpfleetCallsPerTenant: mpfleetCalls.length / tenants,
    mpfleetTokenFetches: mpfleetCalls.filter((c) => TOKEN_PATHS.has(c.path)).length,
    naiveTokenFetches: naiveCalls.filter((c) => TOKEN_PATHS.has(c.path)).length,
    acceptedMs,
  };
}
