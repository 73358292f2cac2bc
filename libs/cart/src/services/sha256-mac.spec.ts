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

  it('keeps its key state across calls (each digest starts from the same states)', () => {
    const key = randomBytes(32);
    const mac = new Sha256Mac(key);
    const first = mac.digest('one').toString('hex');
    mac.digest('two');
    expect(mac.digest('one').toString('hex')).toBe(first);
  });
});
