import { execFileSync } from 'node:child_process';
import { repoRoot } from '../support/test-env.js';

/**
 * Pauses WAL replay on the replica for the duration of `fn` (other suites read the replica too:
 * keep it short), and always resumes it.
 */
export async function withReplayPaused<T>(fn: () => Promise<T>): Promise<T> {
  execFileSync('bash', ['scripts/services.sh', 'pause-replay'], { cwd: repoRoot, stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    execFileSync('bash', ['scripts/services.sh', 'resume-replay'], { cwd: repoRoot, stdio: 'ignore' });
  }
}
