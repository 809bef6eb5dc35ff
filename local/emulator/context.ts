/**
 * What every part of a running emulator shares: the model, the settings, the crypto used for
 * pushes, the pusher and the audit desk.
 */
import type { MessageCrypto } from '../../shared/wechat/crypto';
import type { AuditDesk } from './audits';
import type { PlatformCredentials } from './fixtures';
import type { Pusher } from './pushes';
import type { EmulatorSettings } from './settings';
import type { EmulatorState } from './state';

export interface EmulatorContext {
  state: EmulatorState;
  settings: EmulatorSettings;
  platform: PlatformCredentials;
  /** Token, key and the component appid: seals every push. */
  crypto: MessageCrypto;
  pushes: Pusher;
  audits: AuditDesk;
  now: () => number;
  log: (line: string) => void;
}
