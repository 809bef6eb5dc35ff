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
  /** The emulator's own base URL once it listens (for URLs it hands out, such as avatars). */
  selfUrl?: () => string;
  /**
   * With a state file: resolves once every change made so far is on disk. Awaited before answering
   * a call that may have changed state. Undefined when the emulator keeps its state in memory only.
   */
  durable?: () => Promise<void>;
  /** With a state file: resolves once the writes already asked for are done (awaited by reads). */
  written?: () => Promise<void>;
}
