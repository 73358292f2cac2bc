/**
 * Invalidations Redis did not apply (down, timed out, out of memory), kept until a retry succeeds.
 * Nothing is ever dropped: the set is deduplicated per namespace, and when it grows past its bound
 * the namespace holding the most pending keys is turned into one namespace invalidation, which
 * covers every key of it. Losing a pending invalidation would leave a stale value (a revoked
 * session, say) served for its whole TTL; invalidating too much only costs reloads.
 */
export class PendingInvalidations {
  private readonly keys = new Map<string, Set<string>>();
  private readonly tags = new Map<string, Set<string>>();
  /** Soft tag invalidations (a hard one of the same tag covers them). */
  private readonly softTags = new Map<string, Set<string>>();
  private readonly namespaces = new Set<string>();
  private keyCount = 0;

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    let tags = 0;
    for (const t of this.tags.values()) tags += t.size;
    for (const t of this.softTags.values()) tags += t.size;
    return this.keyCount + tags + this.namespaces.size;
  }

  addKeys(namespace: string, fullKeys: readonly string[]): void {
    if (this.namespaces.has(namespace)) return; // covered already
    let set = this.keys.get(namespace);
    if (!set) this.keys.set(namespace, (set = new Set()));
    for (const k of fullKeys) {
      if (set.has(k)) continue;
      set.add(k);
      this.keyCount++;
    }
    if (this.keyCount > this.maxKeys) this.escalateLargest();
  }

  addTag(namespace: string, tag: string): void {
    if (this.namespaces.has(namespace)) return;
    let set = this.tags.get(namespace);
    if (!set) this.tags.set(namespace, (set = new Set()));
    set.add(tag);
    this.softTagDone(namespace, tag);
  }

  addSoftTag(namespace: string, tag: string): void {
    if (this.namespaces.has(namespace) || this.tags.get(namespace)?.has(tag)) return;
    let set = this.softTags.get(namespace);
    if (!set) this.softTags.set(namespace, (set = new Set()));
    set.add(tag);
  }

  /** The soft tag invalidations to retry (after snapshot()'s hard ones). */
  softSnapshot(): [string, string[]][] {
    return [...this.softTags].map(([ns, t]) => [ns, [...t]]);
  }

  softTagDone(namespace: string, tag: string): void {
    const set = this.softTags.get(namespace);
    if (set?.delete(tag) && set.size === 0) this.softTags.delete(namespace);
  }

  addNamespace(namespace: string): void {
    this.namespaces.add(namespace);
    this.dropKeysOf(namespace);
    this.tags.delete(namespace);
    this.softTags.delete(namespace);
  }

  /** A snapshot to retry: namespace bumps first (they cover the rest of their namespace), then tags, then keys. */
  snapshot(): { namespaces: string[]; tags: [string, string[]][]; keys: [string, string[]][] } {
    return {
      namespaces: [...this.namespaces],
      tags: [...this.tags].map(([ns, t]) => [ns, [...t]]),
      keys: [...this.keys].map(([ns, k]) => [ns, [...k]]),
    };
  }

  namespaceDone(namespace: string): void {
    this.namespaces.delete(namespace);
  }

  tagDone(namespace: string, tag: string): void {
    const set = this.tags.get(namespace);
    if (set?.delete(tag) && set.size === 0) this.tags.delete(namespace);
  }

  keysDone(namespace: string, fullKeys: readonly string[]): void {
    const set = this.keys.get(namespace);
    if (!set) return;
    for (const k of fullKeys) if (set.delete(k)) this.keyCount--;
    if (set.size === 0) this.keys.delete(namespace);
  }

  private escalateLargest(): void {
    let largest: string | undefined;
    let most = -1;
    for (const [ns, set] of this.keys) {
      if (set.size > most) {
        most = set.size;
        largest = ns;
      }
    }
    if (largest !== undefined) this.addNamespace(largest);
  }

  private dropKeysOf(namespace: string): void {
    const set = this.keys.get(namespace);
    if (!set) return;
    this.keyCount -= set.size;
    this.keys.delete(namespace);
  }
}
