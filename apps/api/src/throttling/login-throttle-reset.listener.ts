import { Inject, Injectable } from '@nestjs/common';
import { OnDomainEvent } from '@app/common';
import type { UserSignedIn } from '@app/identity';
import { emailTrackerKey, LOGIN_EMAIL_THROTTLER } from './login-throttle.js';
import { RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { RedisThrottlerStorage } from './redis-throttler-storage.js';

/** A successful login clears the failures counted against its email. */
@Injectable()
export class LoginThrottleReset {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: RedisThrottlerStorage) {}

  @OnDomainEvent('identity.user-signed-in')
  async onSignedIn(event: UserSignedIn): Promise<void> {
    if (event.via === 'login') await this.storage.reset(LOGIN_EMAIL_THROTTLER, emailTrackerKey(event.email));
  }
}
