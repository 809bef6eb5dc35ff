import * as z from 'zod';
import type { ActionAccepted, CancelRequest, DeploymentCreated, DeploymentPage, DeploymentView, PreflightResult, ReleaseRequest, RetryRequest } from '../../shared/contract/operator-api';
import { createDeployment } from '../../shared/deployments/create-deployment';
import { BULK_ACTIONS, deploymentStatus, type BulkAction } from '../../shared/deployments/deployment';
import { deploymentSummary, targetView } from '../../shared/deployments/deployment-view';
import { requestAction, type ActionOptions } from '../../shared/deployments/operator-actions';
import { preflightDeployment } from '../../shared/deployments/preflight';
import { byRouteKey } from '../../shared/http/dispatch';
import { notFound } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson, queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { services, type Services } from '../../shared/services';

const PageQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), nextToken: z.string().max(4096).optional() });
const AuditItems = z.array(z.record(z.string(), z.union([z.string(), z.number()]))).min(1).max(5);
/** Each action's optional body; an action without one takes none. */
const ACTION_BODIES: Partial<Record<BulkAction, z.ZodType<ActionOptions>>> = {
  release: z.object({ grayPercentage: z.number().int().min(1).max(100).optional() }).strict() satisfies z.ZodType<ReleaseRequest>,
  retry: z.object({ feedbackInfo: z.string().min(1).max(1000).optional(), auditItems: AuditItems.optional() }).strict() satisfies z.ZodType<RetryRequest>,
  cancel: z.object({ withdrawAudits: z.boolean().optional() }).strict() satisfies z.ZodType<CancelRequest>,
};
const NoBody = z.object({}).strict();

async function loadDeployment(p: Services, id: string | undefined) {
  const deployment = id && /^d-[a-z0-9]+-[0-9a-f]{8}$/.test(id) ? await p.deployments.get(id) : undefined;
  if (!deployment) throw notFound('deployment_not_found', `no deployment ${String(id).slice(0, 64)}`);
  return deployment;
}

export const handler = httpHandler(
  byRouteKey({
    'POST /api/deployments': async (event) => {
      const deployment = await createDeployment(services(), bodyJson(event, 1024 * 1024));
      return json(202, { id: deployment.id } satisfies DeploymentCreated);
    },
    // The same body as POST /api/deployments: who WeChat would refuse and why, and the quota; nothing is written to WeChat.
    'POST /api/deployments/preflight': async (event) => json(200, (await preflightDeployment(services(), bodyJson(event, 1024 * 1024))) satisfies PreflightResult),
    'GET /api/deployments': async (event) => {
      const p = services();
      const query = parseOr400(PageQuery, queryParams(event));
      const page = await p.deployments.list(query.limit ?? 20, query.nextToken);
      const deployments = await Promise.all(
        page.deployments.map(async (d) => {
          const tally = await p.deployments.tally(d.id);
          return deploymentSummary(d, deploymentStatus(d, tally), tally.counts, tally.byWave);
        }),
      );
      return json(200, { deployments, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } satisfies DeploymentPage);
    },
    'GET /api/deployments/{id}': async (event) => {
      const p = services();
      const deployment = await loadDeployment(p, event.pathParameters?.id);
      const query = parseOr400(PageQuery, queryParams(event));
      const [tally, page] = await Promise.all([
        p.deployments.tally(deployment.id),
        p.deployments.listTargets(deployment.id, query.limit ?? 100, query.nextToken),
      ]);
      return json(200, {
        ...deploymentSummary(deployment, deploymentStatus(deployment, tally), tally.counts, tally.byWave),
        targets: page.targets.map(targetView),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      } satisfies DeploymentView);
    },
    'POST /api/deployments/{id}/{action}': async (event) => {
      const p = services();
      const action = event.pathParameters?.action as BulkAction;
      if (!BULK_ACTIONS.includes(action)) throw notFound('unknown_action', `actions are ${BULK_ACTIONS.join(', ')}`);
      const deployment = await loadDeployment(p, event.pathParameters?.id);
      const options = event.body ? parseOr400(ACTION_BODIES[action] ?? NoBody, bodyJson(event)) : {};
      await requestAction(p, deployment, action, options);
      return json(202, { id: deployment.id, action } satisfies ActionAccepted);
    },
  }),
  { operatorOnly: true },
);
