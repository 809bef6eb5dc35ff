import { describe, expect, it } from 'vitest';
import { whatTheMerchantDid } from '../../../shared/authorization/exchange-code';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

describe('whatTheMerchantDid', () => {
  it('calls a first exchange by this visit an authorization, and a re-authorization one again', () => {
    expect(whatTheMerchantDid({ outcome: 'authorized', appid: 'wx1', again: false }, NOW)).toEqual({ authorizedAgain: false, alreadyAuthorized: false });
    expect(whatTheMerchantDid({ outcome: 'authorized', appid: 'wx1', again: true }, NOW)).toEqual({ authorizedAgain: true, alreadyAuthorized: false });
  });

  it('counts a code the push exchanged minutes ago as this visit, and one long ago as already authorized', () => {
    expect(whatTheMerchantDid({ outcome: 'duplicate', appid: 'wx1', completedAtMs: NOW - 2 * MINUTE }, NOW).alreadyAuthorized).toBe(false);
    expect(whatTheMerchantDid({ outcome: 'duplicate', appid: 'wx1', completedAtMs: NOW - 11 * MINUTE }, NOW).alreadyAuthorized).toBe(true);
    expect(whatTheMerchantDid({ outcome: 'duplicate', appid: 'wx1', again: true, completedAtMs: NOW - 11 * MINUTE }, NOW)).toEqual({ authorizedAgain: true, alreadyAuthorized: false });
  });
});
