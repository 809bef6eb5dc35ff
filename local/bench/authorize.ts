import { forEachConcurrently } from '../../shared/concurrency';
import { services } from '../../shared/services';
import type { LocalStack } from '../stack';
import { emulatorAdmin, sleep } from './clients';


/**
 * Has the emulator authorize each seeded mini-program (after the first ticket) and waits until all
 * are active tenants whose release gates were read (the check every authorization queues), so a
 * deploy measured next does not do those reads itself.
 */
export async function authorizeAll(stack: LocalStack, appids: string[]): Promise<void> {
  while (!(await services().tickets.latest())) await sleep(50);
  const admin = emulatorAdmin(stack);
  await forEachConcurrently(appids, 16, async (appid) => {
    await admin('/authorize', { appid });
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const tenant = await services().tenants.get(appid);
      if (tenant?.status === 'active' && tenant.readiness) break;
      if (Date.now() > deadline) throw new Error(`${appid} is not an active tenant with its readiness checked after 5 minutes (${tenant?.status ?? 'no tenant'})`);
      await sleep(50);
    }
  });
}
