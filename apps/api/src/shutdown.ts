/**
 * Nest closes the app on SIGTERM/SIGINT (enableShutdownHooks): Fastify stops accepting, waits for
 * in-flight requests, then connections close. This guard makes sure a stuck request cannot keep
 * the process alive past the configured timeout.
 */
export function installShutdownTimeout(timeoutMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(`shutdown took longer than ${timeoutMs} ms; exiting`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}
