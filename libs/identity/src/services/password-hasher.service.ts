import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { hash, verify, type Options } from '@node-rs/argon2';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { assertWellFormedPassword } from '../password-text.js';
import { HashSlots } from './hash-slots.js';

// argon2id with the OWASP baseline: 19 MiB, 2 passes, 1 lane. (Algorithm is a const enum in the
// typings, which per-file transpilers such as SWC cannot inline, hence the literal: Argon2id = 2.)
const OPTIONS: Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const DEFAULT_LIMITS: AppConfig['passwords'] = { hashConcurrency: 4, hashMaxWaitMs: 2_000 };

/**
 * argon2id hashing; verify() against a dummy hash keeps unknown-user logins as slow as real ones.
 * At most `passwords.hashConcurrency` hashes and verifies run at once in the process (HashSlots);
 * beyond that a caller waits briefly, then gets an 'unavailable' error (503).
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy: Promise<string> | undefined;
  private readonly slots: HashSlots;

  constructor(@Optional() @Inject(APP_CONFIG) config?: Pick<AppConfig, 'passwords'>) {
    const limits = config?.passwords ?? DEFAULT_LIMITS;
    this.slots = new HashSlots(limits.hashConcurrency, limits.hashMaxWaitMs);
  }

  /** The dummy hash is made at boot, so even the first unknown-email login costs one verify. */
  onModuleInit(): void {
    this.dummy ??= this.makeDummy();
  }

  /**
   * Refuses (an 'invalid' domain error) a password with an unpaired surrogate: the UTF-8 encoding
   * argon2 gets would turn it into U+FFFD, so different strings would share one hash. Callers check
   * first and name their own field; this is the last line.
   */
  async hash(password: string): Promise<string> {
    assertWellFormedPassword('password', password);
    return this.slots.run(() => hash(password, OPTIONS));
  }

  /** false for a wrong password or a malformed hash; an ill-formed password is refused as in hash(). */
  async verify(hashed: string, password: string): Promise<boolean> {
    assertWellFormedPassword('password', password);
    return this.slots.run(async () => {
      try {
        return await verify(hashed, password);
      } catch {
        return false; // malformed hash: never a match, never an error text to the client
      }
    });
  }

  /** Burns the same time as a real verify when there is no user to check against. */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.makeDummy();
    await this.verify(await this.dummy, password);
    return false;
  }

  // Outside the slots: made once, at boot, and a busy moment must not leave it rejected for good.
  private makeDummy(): Promise<string> {
    return hash('dummy-password-for-timing', OPTIONS);
  }
}
