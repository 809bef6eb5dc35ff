import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';

/** Keys every Powertools line carries; the pretty line shows them in its fixed columns or not at all. */
const STANDARD_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
]);

/** A value as `key=value` shows it: errors by code and message, objects compact, spaced strings quoted. */
function showValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value !== 'object') return String(value);
  const record = value as Record<string, unknown>;
  if (typeof record.message === 'string' && ('stack' in record || 'name' in record || 'code' in record)) {
    const code = record.code ?? record.errcode;
    return JSON.stringify(code === undefined ? record.message : `${String(code)} ${record.message}`);
  }
  return JSON.stringify(value);
}

/**
 * One short human line for a log record:
 * `14:03:07 WARN  deploy-worker  target stopped  appid=wx… state=failed error=85013`.
 * The time is local wall-clock time; the function name stands in for the service when known.
 */
export function formatPrettyLine(attributes: Record<string, unknown>): string {
  const timestamp = typeof attributes.timestamp === 'string' ? new Date(attributes.timestamp) : new Date();
  const time = Number.isNaN(timestamp.getTime()) ? '--:--:--' : timestamp.toTimeString().slice(0, 8);
  const level = String(attributes.level ?? 'INFO').padEnd(5);
  const source = String(attributes.function_name ?? attributes.service ?? '');
  const rest = Object.entries(attributes)
    .filter(([key, value]) => !STANDARD_KEYS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${showValue(value)}`);
  return [`${time} ${level}`, source, String(attributes.message ?? ''), rest.join(' ')].filter(Boolean).join('  ');
}

/** MPFLEET_LOG_FORMAT=pretty (set by `npm start`) prints one line per record; anything else: Powertools' JSON. */
const prettyLogs = () => process.env.MPFLEET_LOG_FORMAT === 'pretty';

/**
 * Powertools' logger, printing pretty lines instead of JSON when asked. Powertools' `logFormatter`
 * option only shapes the attributes (they are always printed as JSON), so the choice is made where
 * the line is printed. Checked per line: the local runtime sets the variable after this module loads.
 */
class MpfleetLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    if (!prettyLogs()) return super.printLog(logLevel, log);
    log.prepareForPrint();
    const attributes = log.getAttributes();
    const line = `${formatPrettyLine(attributes)}\n`;
    const level = String(attributes.level);
    (level === 'WARN' || level === 'ERROR' || level === 'CRITICAL' ? process.stderr : process.stdout).write(line);
  }
}

/** One structured logger for every function; level from POWERTOOLS_LOG_LEVEL, JSON unless MPFLEET_LOG_FORMAT=pretty. */
export const logger: Logger = new MpfleetLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mpfleet' });
