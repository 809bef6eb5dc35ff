import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { badRequest } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson, queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { retryRegistrationOnboarding } from '../../shared/onboarding/run-onboarding';
import { createRegistration, getRegistration, listRegistrations, REGISTRATION_STATUSES, registrationView, searchRegistration } from '../../shared/registrations/registrations';
import { services } from '../../shared/services';

const ListQuery = z.object({ status: z.enum(REGISTRATION_STATUSES).optional() });
/** A registration may carry an onboarding plan with images (data URLs). */
const MAX_BODY_BYTES = 512 * 1024;
const EmptyBody = z.object({}).strict();

function registrationId(event: APIGatewayProxyEventV2): string {
  const id = event.pathParameters?.registrationId ?? '';
  if (!/^r-[0-9a-z]{1,12}-[0-9a-f]{8}$/.test(id)) throw badRequest('invalid_registration_id', 'id must be a registration id (r-…)');
  return id;
}

/** Fast registrations: mpfleet creates a mini-program for a merchant who has none. */
export const handler = httpHandler(
  byRouteKey({
    'POST /api/registrations': async (event) => json(201, registrationView(await createRegistration(services(), bodyJson(event, MAX_BODY_BYTES)))),
    'GET /api/registrations': async (event) => json(200, { registrations: (await listRegistrations(services(), parseOr400(ListQuery, queryParams(event)).status)).map(registrationView) }),
    'GET /api/registrations/{registrationId}': async (event) => json(200, registrationView(await getRegistration(services(), registrationId(event)))),
    'POST /api/registrations/{registrationId}/search': async (event) => {
      const id = registrationId(event);
      parseOr400(EmptyBody, event.body ? bodyJson(event, 16 * 1024) : {});
      const { registration, wechat } = await searchRegistration(services(), id);
      return json(200, { ...registrationView(registration), atWeChat: wechat });
    },
    // Runs the failed onboarding steps again (after the operator fixed what they name).
    'POST /api/registrations/{registrationId}/onboarding/retry': async (event) => {
      const id = registrationId(event);
      parseOr400(EmptyBody, event.body ? bodyJson(event, 16 * 1024) : {});
      return json(202, registrationView(await retryRegistrationOnboarding(services(), id)));
    },
  }),
  { operatorOnly: true },
);
