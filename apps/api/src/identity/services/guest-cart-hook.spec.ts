import { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { PinoLoggerService } from '@app/common';
import { capturedLogger } from '@app/common/logging/testing/captured-logger.js';
import type { GuestCartMerger } from '../guest-cart-merger.js';
import { GuestCartHook } from './guest-cart-hook.js';

function hookWith(merger: GuestCartMerger): GuestCartHook {
  const hook = new GuestCartHook({ get: () => merger } as unknown as ModuleRef);
  hook.onApplicationBootstrap();
  return hook;
}

describe('GuestCartHook', () => {
  const { logger, lines } = capturedLogger();
  beforeAll(() => Logger.overrideLogger(new PinoLoggerService(logger)));
  afterAll(() => Logger.overrideLogger(false));
  beforeEach(() => (lines.length = 0));

  it('never fails the sign-in when the merge fails, and logs it with the request id', async () => {
    const hook = hookWith({ merge: () => Promise.reject(new Error('cart store down')) });
    await expect(hook.afterSignIn('user-1', 'token', 'req-login-1')).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ level: 40, requestId: 'req-login-1', context: 'GuestCartHook', msg: 'guest cart not merged: cart store down' })]);
  });

  it('logs capped lines with the request id, and nothing for a clean merge', async () => {
    const outcomes = [{ linesCapped: 2 }, { linesCapped: 0 }];
    const hook = hookWith({ merge: () => Promise.resolve(outcomes.shift()) });
    await hook.afterSignIn('user-1', 'token', 'req-login-2');
    await hook.afterSignIn('user-1', 'token', 'req-login-3');
    expect(lines).toEqual([expect.objectContaining({ level: 30, requestId: 'req-login-2', msg: 'guest cart merged, 2 line(s) capped by stock or limits' })]);
  });

  it('does not call the merger without a token', async () => {
    let calls = 0;
    const hook = hookWith({ merge: () => Promise.resolve(void calls++) });
    await hook.afterSignIn('user-1', undefined, 'req');
    expect(calls).toBe(0);
  });
});
