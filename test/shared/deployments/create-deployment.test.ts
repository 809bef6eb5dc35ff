import { describe, expect, it } from 'vitest';
import { createDeployment } from '../../../shared/deployments/create-deployment';
import { InvalidInput } from '../../../shared/errors';
import type { Services } from '../../../shared/services';

const appid = (n: number) => `wx${n.toString(16).padStart(16, '0')}`;

/** Only the ports createDeployment reaches before it looks the template up: the tenant registry. */
function fakeServices(known: Set<string>) {
  let inFlight = 0;
  let maxInFlight = 0;
  const lookups: string[] = [];
  const services = {
    tenants: {
      get: async (id: string) => {
        lookups.push(id);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return known.has(id) ? { appid: id, status: 'active' } : undefined;
      },
    },
  } as unknown as Services;
  return { services, lookups, maxInFlight: () => maxInFlight };
}

const request = (tenants: string[]) => ({ templateId: 1, userVersion: '1.0.0', userDesc: 'x', tenants });

async function refusal(promise: Promise<unknown>): Promise<InvalidInput> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInput);
  return error as InvalidInput;
}

describe('createDeployment: named tenants must be known', () => {
  it('refuses unknown tenants up front with unknown_tenants, listing them in the order named', async () => {
    const { services } = fakeServices(new Set([appid(1), appid(3)]));
    const error = await refusal(createDeployment(services, request([appid(1), appid(5), appid(3), appid(2)])));
    expect(error.code).toBe('unknown_tenants');
    expect(error.message).toBe(`unknown tenants: ${appid(5)}, ${appid(2)}`);
  });

  it('lists at most 20 and says how many more; looks them up a few at a time', async () => {
    const names = Array.from({ length: 125 }, (_, i) => appid(i + 1));
    const fake = fakeServices(new Set(names.slice(0, 5)));
    const error = await refusal(createDeployment(fake.services, request(names)));
    expect(error.message).toBe(`unknown tenants: ${names.slice(5, 25).join(', ')} and 100 more`);
    expect(fake.lookups).toHaveLength(125);
    expect(fake.maxInFlight()).toBeGreaterThan(1);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(16);
  });

  it('checks nothing when no tenants are named (every active tenant)', async () => {
    const fake = fakeServices(new Set());
    // Past the tenant check, the template lookup needs ports this fake does not have.
    await createDeployment(fake.services, { templateId: 1, userVersion: '1.0.0', userDesc: 'x' }).catch(() => undefined);
    expect(fake.lookups).toEqual([]);
  });
});
