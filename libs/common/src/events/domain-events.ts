/**
 * Every in-process domain event, by name, with its payload. A module declares its own events by
 * merging into this interface from its own files:
 *
 *   declare module '@app/common/events/domain-events.js' {
 *     interface DomainEvents { 'identity.user-signed-in': UserSignedIn }
 *   }
 *
 * so emitters and handlers are checked against one map without @app/common knowing the modules.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEvents {}

export type DomainEventName = Extract<keyof DomainEvents, string>;
