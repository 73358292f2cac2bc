import { SetMetadata } from '@nestjs/common';
import type { DomainEventName, DomainEvents } from './domain-events.js';

export const DOMAIN_EVENT_HANDLER = 'common:domainEventHandler';

/**
 * Marks a provider method as a handler of one domain event (found by EventBus at start-up). The
 * method's parameter is checked against the event's payload type.
 */
export function OnDomainEvent<K extends DomainEventName>(name: K) {
  return <M extends (payload: DomainEvents[K]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    SetMetadata(DOMAIN_EVENT_HANDLER, name)(target, key, descriptor);
  };
}
