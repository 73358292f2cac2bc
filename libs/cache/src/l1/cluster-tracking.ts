import type { Cluster, Redis } from 'ioredis';
import { NodeTracking } from './node-tracking.js';
import type { TrackingReports } from './tracking-reports.js';

export interface ClusterTrackingOptions {
  cluster: Cluster;
  reports: TrackingReports;
  /** Some master stopped reporting, or the set of masters changed: what L1 holds may be stale. */
  onLoss: () => void;
  /** Every master reports again. */
  onCovered: () => void;
  onError?: (err: unknown) => void;
}

/** How many candidate keys are tried to find a probe key in a master's slots (1/N each). */
const PROBE_KEY_TRIES = 64;

/**
 * Server-assisted invalidation on a Redis Cluster: one NodeTracking per master, following the
 * topology the cluster client sees (a node added, removed, replaced or promoted). `covered` holds
 * while every master reports; the bus keeps L1 suspended otherwise, and empty when it comes back.
 */
export class ClusterTracking {
  private readonly nodes = new Map<string, NodeTracking>();
  private isCovered = false;
  private closed = false;

  constructor(private readonly opts: ClusterTrackingOptions) {}

  /** Whether every master reports writes to our prefixes, or refused to (then the bus alone serves it): L1 may serve. */
  get covered(): boolean {
    return this.isCovered;
  }

  /** Whether every master reports writes to our prefixes right now. */
  get reporting(): boolean {
    if (!this.isCovered) return false;
    for (const node of this.nodes.values()) if (!node.reporting) return false;
    return true;
  }

  start(): void {
    const c = this.opts.cluster;
    // 'refresh' also catches a role change (a promoted replica), which emits no node event.
    for (const event of ['ready', 'refresh', '+node', '-node']) c.on(event, this.reconcile);
    this.reconcile();
  }

  /** L1 holds a new namespace: every master adds its prefix. */
  sync(): void {
    for (const node of this.nodes.values()) void node.sync();
  }

  close(): void {
    this.closed = true;
    this.isCovered = false;
    for (const event of ['ready', 'refresh', '+node', '-node']) this.opts.cluster.off(event, this.reconcile);
    for (const node of this.nodes.values()) node.close();
    this.nodes.clear();
  }

  private readonly reconcile = (): void => {
    if (this.closed) return;
    const masters = new Map<string, Redis>();
    for (const r of this.opts.cluster.nodes('master')) masters.set(`${r.options.host}:${r.options.port}`, r);
    let changed = false;
    for (const [key, node] of this.nodes) {
      if (masters.get(key) === node.data) continue;
      node.close();
      this.nodes.delete(key);
      changed = true;
    }
    for (const [key, data] of masters) {
      if (this.nodes.has(key)) continue;
      const node = new NodeTracking(key, data, {
        reports: this.opts.reports,
        onChange: this.update,
        probeKeyOn: this.probeKeyOn,
        onError: this.opts.onError,
      });
      this.nodes.set(key, node);
      changed = true;
    }
    // Keys may have moved between masters: count it as a loss, so L1 starts over once covered.
    if (changed && this.isCovered) {
      this.isCovered = false;
      this.opts.onLoss();
    }
    this.update();
  };

  private readonly update = (): void => {
    let covered = !this.closed && this.nodes.size > 0;
    for (const node of this.nodes.values()) covered &&= node.reporting || node.refused;
    if (covered === this.isCovered) return;
    this.isCovered = covered;
    if (covered) this.opts.onCovered();
    else this.opts.onLoss();
  };

  /** A probe key in a slot `node` serves: the probe must be written on that very node. */
  private readonly probeKeyOn = async (node: NodeTracking): Promise<string | undefined> => {
    const base = this.opts.reports.opts.probeKey;
    for (let i = 0; i < PROBE_KEY_TRIES; i++) {
      const key = `${base}{${i}}`;
      const slot = Number(await node.data.call('CLUSTER', 'KEYSLOT', key));
      if (this.opts.cluster.slots[slot]?.[0] === node.key) return key;
    }
    return undefined;
  };
}
