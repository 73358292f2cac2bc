import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Sha256Mac } from './sha256-mac.js';

describe('Sha256Mac', () => {
  it('equals createHmac for keys shorter than, equal to and longer than the block, over many messages', () => {
    for (const size of [0, 1, 32, 63, 64, 65, 200]) {
      const key = randomBytes(size);
      const mac = new Sha256Mac(key);
      for (const data of ['', 'a', randomUUID(), 'é€😀', 'x'.repeat(1_000), ...Array.from({ length: 50 }, () => randomUUID())])
        expect(mac.digest(data).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
    }
  });

  it('equals createHmac for every message length around the one-block limit (55 bytes), ASCII or not', () => {
    const key = randomBytes(32);
    const mac = new Sha256Mac(key);
    const ascii = (n: number): string => Array.from(randomBytes(n), (b) => String.fromCharCode(b & 0x7f)).join('');
    for (let n = 0; n <= 130; n++) {
      for (const data of [ascii(n), 'é' + ascii(n), ascii(n) + '\u007f', ascii(n) + '\u0080']) {
        expect(mac.digest(data).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }
    }
  });

  it('keeps its key state across calls (each digest starts from the same states)', () => {
    const key = randomBytes(32);
    const mac = new Sha256Mac(key);
    const first = mac.digest('one').toString('hex');
    mac.digest('two');
    expect(mac.digest('one').toString('hex')).toBe(first);
  });
});
