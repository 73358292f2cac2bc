import { Logger } from '@nestjs/common';
import { PinoLoggerService } from '@app/common';
import { capturedLogger } from '@app/common/logging/testing/captured-logger.js';
import type { MergeOutcome } from '../store/cart.store.js';
import type { CartService } from './cart.service.js';
import { GuestCartListener } from './guest-cart.listener.js';

const listenerWith = (mergeGuest: () => Promise<MergeOutcome | null>): GuestCartListener =>
  new GuestCartListener({ mergeGuest } as unknown as CartService);
const signedIn = (guestCartToken: string | undefined, requestId: string) => ({
  userId: 'user-1',
  email: 'a@b.c',
  via: 'login' as const,
  guestCartToken,
  requestId,
});

describe('GuestCartListener', () => {
  const { logger, lines } = capturedLogger();
  beforeAll(() => Logger.overrideLogger(new PinoLoggerService(logger)));
  afterAll(() => Logger.overrideLogger(false));
  beforeEach(() => (lines.length = 0));

  it('never fails the sign-in when the merge fails, and logs it with the request id', async () => {
    const listener = listenerWith(() => Promise.reject(new Error('cart store down')));
    await expect(listener.onSignedIn(signedIn('token', 'req-login-1'))).resolves.toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        requestId: 'req-login-1',
        context: 'GuestCartListener',
        msg: 'guest cart not merged: cart store down',
      }),
    ]);
  });

  it('logs capped lines with the request id, and nothing for a clean merge', async () => {
    const outcomes: MergeOutcome[] = [
      { linesChanged: 1, linesCapped: 2 },
      { linesChanged: 1, linesCapped: 0 },
    ];
    const listener = listenerWith(() => Promise.resolve(outcomes.shift()!));
    await listener.onSignedIn(signedIn('token', 'req-login-2'));
    await listener.onSignedIn(signedIn('token', 'req-login-3'));
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, requestId: 'req-login-2', msg: 'guest cart merged, 2 line(s) capped by stock or limits' }),
    ]);
  });

  it('does not merge without a token', async () => {
    let calls = 0;
    const listener = listenerWith(() => {
      calls++;
      return Promise.resolve(null);
    });
    await listener.onSignedIn(signedIn(undefined, 'req'));
    expect(calls).toBe(0);
  });
});
