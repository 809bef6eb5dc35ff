/**
 * Imported first by ./main.ts, before anything that loads shared/logger.ts: the logger reads its
 * level when the module loads, and the bench loads it (through shared/services) before the local
 * stack sets POWERTOOLS_LOG_LEVEL. Without this the bench would log every target's steps at INFO,
 * which `npm start` does not; an explicit POWERTOOLS_LOG_LEVEL still wins.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
