/**
 * Nest closes the app on SIGTERM/SIGINT (enableShutdownHooks): the API stops accepting and waits
 * for in-flight requests, the worker for its running jobs, then connections close. This guard makes
 * sure a stuck request or job cannot keep the process alive past the configured timeout.
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
