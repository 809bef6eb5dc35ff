import { describe, expect, it } from 'vitest';
import { operatorTokenHint } from '../../../shared/http/operator-auth';

describe('the 401 says where the operator token is', () => {
  it('on AWS: the SSM parameter; locally: the file npm start keeps it in; else OPERATOR_TOKEN', () => {
    expect(operatorTokenHint({ SECRETS_PARAMETER_PREFIX: '/mpfleet/prod/', OPERATOR_TOKEN: 'secret' })).toBe('the operator token is the SSM parameter /mpfleet/prod/operator-token');
    expect(operatorTokenHint({ OPERATOR_TOKEN: 'secret', OPERATOR_TOKEN_FILE: '/data/operator-token' })).toBe(
      'the operator token is printed by `npm start` and kept in /data/operator-token',
    );
    expect(operatorTokenHint({ OPERATOR_TOKEN: 'secret' })).toBe('the operator token is the OPERATOR_TOKEN the server was started with');
  });
});
