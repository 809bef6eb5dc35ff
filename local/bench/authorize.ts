import { forEachConcurrently } from '../../shared/concurrency';
import { services } from '../../shared/services';
import type { LocalStack } from '../stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Has the emulator authorize each seeded mini-program (after the first ticket) and waits until all are active tenants. */
export async function authorizeAll(stack: LocalStack, appids: string[]): Promise<void> {
  while (!(await services().tickets.latest())) await sleep(50);
  await forEachConcurrently(appids, 16, async (appid) => {
    await fetch(`${stack.emulator!.url}/__admin/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid }) });
    while ((await services().tenants.get(appid))?.status !== 'active') await sleep(50);
  });
}
