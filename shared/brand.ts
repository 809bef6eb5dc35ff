/** The name merchants see on authorization pages (the operator's own brand). */
export function platformName(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLATFORM_NAME?.trim() || 'mpfleet';
}
