// redlock 5.0.0-beta.2 ships dist/index.d.ts, but its package "exports" has no "types" condition,
// so under moduleResolution nodenext TypeScript finds no declarations for `import ... from 'redlock'`.
// This ambient module restates the part of those declarations we use.
declare module 'redlock' {
  import { EventEmitter } from 'node:events';

  export interface ExecutionStats {
    readonly membershipSize: number;
    readonly quorumSize: number;
    readonly votesFor: Set<unknown>;
    readonly votesAgainst: Map<unknown, Error>;
  }

  export interface Settings {
    readonly driftFactor: number;
    readonly retryCount: number;
    readonly retryDelay: number;
    readonly retryJitter: number;
    readonly automaticExtensionThreshold: number;
  }

  export class ResourceLockedError extends Error {}

  export class ExecutionError extends Error {
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>;
  }

  export class Lock {
    readonly resources: string[];
    readonly value: string;
    expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }

  /** Clients only need evalsha/eval (redlock calls nothing else on them except quit()). */
  export interface RedlockClient {
    evalsha(sha: string, numKeys: number, args: (string | number)[]): Promise<unknown>;
    eval(script: string, numKeys: number, args: (string | number)[]): Promise<unknown>;
  }

  export default class Redlock extends EventEmitter {
    constructor(clients: Iterable<RedlockClient>, settings?: Partial<Settings>);
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
    release(lock: Lock, settings?: Partial<Settings>): Promise<unknown>;
    extend(existing: Lock, duration: number, settings?: Partial<Settings>): Promise<Lock>;
  }
}
