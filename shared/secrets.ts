import { getParameter } from '@aws-lambda-powertools/parameters/ssm';

/**
 * The platform's secrets. On AWS they are SecureString parameters under SECRETS_PARAMETER_PREFIX
 * (read once per container, re-read after five minutes so a rotation takes effect); locally they come
 * from the environment under the README's names. Never logged.
 */
export const SECRETS = {
  componentSecret: { parameter: 'component-secret', env: 'WECHAT_COMPONENT_SECRET' },
  messageToken: { parameter: 'message-token', env: 'WECHAT_TOKEN' },
  encodingAesKey: { parameter: 'encoding-aes-key', env: 'WECHAT_ENCODING_AES_KEY' },
  operatorToken: { parameter: 'operator-token', env: 'OPERATOR_TOKEN' },
} as const;

export type SecretName = keyof typeof SECRETS;

const CACHE_SECONDS = 300;

export class MissingSecretError extends Error {
  constructor(readonly secret: SecretName) {
    super(`secret ${secret} is not configured`);
    this.name = 'MissingSecretError';
  }
}

export function secretParameterName(prefix: string, name: SecretName): string {
  return `${prefix.replace(/\/+$/, '')}/${SECRETS[name].parameter}`;
}

export async function getSecret(name: SecretName, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const prefix = env.SECRETS_PARAMETER_PREFIX;
  const value = prefix
    ? await getParameter(secretParameterName(prefix, name), { decrypt: true, maxAge: CACHE_SECONDS })
    : env[SECRETS[name].env];
  if (!value) throw new MissingSecretError(name);
  return value;
}
