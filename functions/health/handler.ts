import { checkHealth } from '../../shared/health';
import { httpHandler } from '../../shared/http/handler';
import { json } from '../../shared/http/responses';

export const handler = httpHandler(async () => {
  const report = await checkHealth();
  return json(report.status === 'ok' ? 200 : 503, report);
});
