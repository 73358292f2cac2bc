import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { DomainEventName, DomainEvents } from './domain-events.js';
import { DOMAIN_EVENT_HANDLER } from './on-domain-event.decorator.js';

type Handler = (payload: unknown) => unknown;

/**
 * In-process domain events: a module emits what happened, other modules react through
 * `@OnDomainEvent` methods, so the emitter needs no reference to them. `emit` awaits every handler
 * in registration order; a handler's failure is logged and never fails the emitter, because the
 * event reports something that already happened (durable side effects belong in the outbox).
 */
@Injectable()
export class EventBus implements OnModuleInit {
  private readonly logger = new Logger(EventBus.name);
  private readonly handlers = new Map<string, { owner: string; run: Handler }[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const seen = new Set<object>(); // one instance may be provided under several tokens
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic() || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<string | undefined>(DOMAIN_EVENT_HANDLER, fn as Handler);
        if (name) this.on(name as DomainEventName, `${instance.constructor.name}.${method}`, (fn as Handler).bind(instance));
      }
    }
  }

  /** Registers a handler by hand (code outside Nest providers). */
  on<K extends DomainEventName>(name: K, owner: string, handler: (payload: DomainEvents[K]) => unknown): void {
    const list = this.handlers.get(name) ?? [];
    list.push({ owner, run: handler as Handler });
    this.handlers.set(name, list);
  }

  async emit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): Promise<void> {
    const list = this.handlers.get(name);
    if (!list) return;
    for (const handler of list) {
      try {
        await handler.run(payload);
      } catch (error) {
        const requestId = (payload as { requestId?: string } | undefined)?.requestId;
        this.logger.warn({
          requestId,
          event: name,
          handler: handler.owner,
          msg: `event handler failed: ${(error as Error)?.message ?? String(error)}`,
        });
      }
    }
  }
}
