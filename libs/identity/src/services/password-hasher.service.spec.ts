import { PasswordHasher } from './password-hasher.service.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id (OWASP parameters) and verifies', async () => {
    const hashed = await hasher.hash('correct horse battery');
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(hashed, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(hashed, 'wrong horse battery')).toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hasher.hash('same-password')).not.toBe(await hasher.hash('same-password'));
  });

  it('treats a malformed hash as a mismatch, and the dummy check as a failure', async () => {
    expect(await hasher.verify('not-a-hash', 'x')).toBe(false);
    expect(await hasher.verifyDummy('anything')).toBe(false);
  });
});

describe('PasswordHasher: unpaired surrogates', () => {
  const hasher = new PasswordHasher();

  it('refuses to hash a password with an unpaired surrogate (an invalid-input error naming password)', async () => {
    for (const password of ['pass\ud800word', 'pass\udbffword', 'trailing-high\ud83d', '\udc00leading-low']) {
      await expect(hasher.hash(password)).rejects.toMatchObject({ kind: 'invalid', messages: [expect.stringMatching(/^password: /)] });
    }
  });

  it('never verifies one lone surrogate as another, nor as U+FFFD', async () => {
    const replaced = await hasher.hash('pass\ufffdword');
    await expect(hasher.verify(replaced, 'pass\ud800word')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(hasher.verify(replaced, 'pass\udbffword')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(hasher.verifyDummy('pass\udbffword')).rejects.toMatchObject({ kind: 'invalid' });
    expect(await hasher.verify(replaced, 'pass\ufffdword')).toBe(true);
  });

  it('hashes surrogate pairs (astral characters) as the characters they are', async () => {
    const hashed = await hasher.hash('key-\u{1F511}');
    expect(await hasher.verify(hashed, 'key-\u{1F511}')).toBe(true);
    expect(await hasher.verify(hashed, 'key-\u{1F512}')).toBe(false);
  });
});

describe('PasswordHasher: concurrency cap', () => {
  it('runs at most passwords.hashConcurrency argon2 operations at once; with no wait allowed, the excess is refused (unavailable)', async () => {
    const hasher = new PasswordHasher({ passwords: { hashConcurrency: 1, hashMaxWaitMs: 0 } });
    const stored = await hasher.hash('first-password');
    await hasher.verifyDummy('warm-up'); // the dummy hash exists before the burst
    const results = await Promise.allSettled([
      hasher.hash('a-password-1'),
      hasher.verify(stored, 'first-password'),
      hasher.verifyDummy('x-password'),
    ]);
    expect(results[0]).toMatchObject({ status: 'fulfilled' });
    for (const refused of results.slice(1))
      expect(refused).toMatchObject({ status: 'rejected', reason: { kind: 'unavailable', retryAfterSeconds: 1 } });
    // Once the slot is free, work goes through again.
    expect(await hasher.verify(stored, 'first-password')).toBe(true);
  });

  it('lets the excess wait for a slot when waiting is allowed', async () => {
    const hasher = new PasswordHasher({ passwords: { hashConcurrency: 1, hashMaxWaitMs: 30_000 } });
    const hashes = await Promise.all(Array.from({ length: 4 }, (_, i) => hasher.hash(`password-${i}`)));
    expect(await Promise.all(hashes.map((h, i) => hasher.verify(h, `password-${i}`)))).toEqual([true, true, true, true]);
  });
});
