import { assertWellFormedPassword, isWellFormedText } from './password-text.js';

describe('isWellFormedText', () => {
  it('accepts text whose surrogates are all paired', () => {
    for (const s of ['', 'plain ascii', 'é ü ß', '\u{1F511}', 'a\ud83d\udd11b', '\ufffd']) expect(isWellFormedText(s)).toBe(true);
  });

  it('refuses any unpaired surrogate, high or low, anywhere', () => {
    for (const s of [
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      'a\ud800b',
      'end\ud83d',
      '\udd11start',
      '\udd11\ud83d',
      '\ud83d\ud83d\udd11',
    ]) {
      expect(isWellFormedText(s)).toBe(false);
    }
  });

  it('names the field in the error', () => {
    expect(() => assertWellFormedPassword('currentPassword', 'x\ud800')).toThrow(/^currentPassword: /);
    expect(() => assertWellFormedPassword('currentPassword', 'x')).not.toThrow();
  });
});
