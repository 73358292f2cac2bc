/** Plain in-memory counters: the hot path only increments numbers; exporters read snapshots. */
export class NamespaceCounters {
  hits = 0;
  /** Hits answered by the in-process L1 (included in hits). */
  l1Hits = 0;
  misses = 0;
  loads = 0;
  loadTimeMsTotal = 0;
  staleServes = 0;
  errors = 0;
  /** Loader failures and hard timeouts, also those of background refreshes nobody waits for. */
  loadErrors = 0;
}

export interface NamespaceSnapshot {
  hits: number;
  l1Hits: number;
  misses: number;
  hitRate: number;
  loads: number;
  loadTimeMsTotal: number;
  staleServes: number;
  errors: number;
  loadErrors: number;
}

export interface StatsSnapshot {
  namespaces: Record<string, NamespaceSnapshot>;
  totals: NamespaceSnapshot;
}

function toSnapshot(c: NamespaceCounters): NamespaceSnapshot {
  const lookups = c.hits + c.misses;
  return {
    hits: c.hits,
    l1Hits: c.l1Hits,
    misses: c.misses,
    hitRate: lookups === 0 ? 0 : c.hits / lookups,
    loads: c.loads,
    loadTimeMsTotal: c.loadTimeMsTotal,
    staleServes: c.staleServes,
    errors: c.errors,
    loadErrors: c.loadErrors,
  };
}

export class CacheStats {
  private readonly byNamespace = new Map<string, NamespaceCounters>();

  /**
   * @param onLoadError told about every failed load (keep it cheap), e.g. to log background refresh failures.
   * @param onError told about values that could not be cached (not serializable).
   */
  constructor(
    private readonly onLoadError?: (err: unknown) => void,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** Counts a failed load and reports it. */
  loadFailed(counters: NamespaceCounters, err: unknown): void {
    counters.loadErrors++;
    this.onLoadError?.(err);
  }

  /** Counts a value that could not be cached (it is still answered, uncached) and reports it. */
  notCached(counters: NamespaceCounters, err: unknown): void {
    counters.errors++;
    this.onError?.(err);
  }

  /** Counters of one namespace (created on first use; callers keep the reference). */
  for(namespace: string): NamespaceCounters {
    let c = this.byNamespace.get(namespace);
    if (!c) {
      c = new NamespaceCounters();
      this.byNamespace.set(namespace, c);
    }
    return c;
  }

  snapshot(): StatsSnapshot {
    const totals = new NamespaceCounters();
    const namespaces: Record<string, NamespaceSnapshot> = {};
    for (const [ns, c] of this.byNamespace) {
      namespaces[ns] = toSnapshot(c);
      totals.hits += c.hits;
      totals.l1Hits += c.l1Hits;
      totals.misses += c.misses;
      totals.loads += c.loads;
      totals.loadTimeMsTotal += c.loadTimeMsTotal;
      totals.staleServes += c.staleServes;
      totals.errors += c.errors;
      totals.loadErrors += c.loadErrors;
    }
    return { namespaces, totals: toSnapshot(totals) };
  }

  reset(): void {
    for (const c of this.byNamespace.values()) Object.assign(c, new NamespaceCounters());
  }
}
