import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { IdleMemoryRelease } from './idle-memory-release.js';

const MB = 1_048_576;

/**
 * Starts the idle memory release of a long-running process (API, worker) with its configuration
 * (MEMORY_RELEASE_IDLE_MS, MEMORY_RELEASE_MIN_GROWTH_MB); each release is logged once.
 */
export function startIdleMemoryRelease(config: AppConfig): IdleMemoryRelease | undefined {
  const settings = config.app.memoryRelease;
  if (settings.idleMs === 0) return undefined;
  const logger = new Logger('Memory');
  const release = new IdleMemoryRelease({
    ...settings,
    onRelease: ({ rssBeforeBytes, rssAfterBytes, ms }) =>
      logger.log(
        `memory released after a busy period: resident ${(rssBeforeBytes / MB).toFixed(1)} MB -> ${(rssAfterBytes / MB).toFixed(1)} MB (full collection ${ms.toFixed(0)} ms)`,
      ),
  });
  if (!release.enabled) {
    logger.warn('idle memory release unavailable: the runtime refused --expose-gc');
    return undefined;
  }
  return release.start();
}
