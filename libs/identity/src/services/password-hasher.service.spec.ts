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
