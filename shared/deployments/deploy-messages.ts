import * as z from 'zod';
import { BULK_ACTIONS } from './deployment';

/**
 * Messages of the deploy queue. Every one may arrive twice: handlers act through conditional
 * transitions. (Kept apart from the queue adapter so only the worker bundles the schema library.)
 */
export const DeployMessageSchema = z.discriminatedUnion('kind', [
  /** Record the deployment's targets page by page and enqueue their first step (`pageSize`: this page's, growing from the first). */
  z.object({ kind: z.literal('fan-out'), deploymentId: z.string(), cursor: z.string().optional(), pageSize: z.number().int().positive().optional() }),
  /** Run the next step of one target, whatever state it is in. */
  z.object({ kind: z.literal('advance'), deploymentId: z.string(), appid: z.string() }),
  /** An operator action over every target it applies to. */
  z.object({ kind: z.literal('bulk'), deploymentId: z.string(), action: z.enum(BULK_ACTIONS), requestedAtMs: z.number().optional() }),
  /** Look at a staged rollout's open wave and move it on (waves.ts); `loop` tells a stale watcher from the current one. */
  z.object({ kind: z.literal('watch-waves'), deploymentId: z.string(), loop: z.number().int() }),
  /** Read a tenant's release gates from WeChat (after its authorization: off the merchant's and WeChat's wait). */
  z.object({ kind: z.literal('check-readiness'), appid: z.string() }),
  /** Apply a registration's onboarding plan to its new mini-program (onboarding/run-onboarding.ts). */
  z.object({ kind: z.literal('onboard'), registrationId: z.string() }),
]);

export type DeployMessage = z.infer<typeof DeployMessageSchema>;
