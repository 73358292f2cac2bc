import type { Cluster, Redis } from 'ioredis';

/** Which master of a test cluster holds a key: slot ranges read once (test clusters never reshard). */
export class ClusterPlacement {
  private constructor(
    private readonly client: Cluster,
    /** Slot ranges and the port of the master owning each. */
    readonly owners: readonly { from: number; to: number; port: number }[],
  ) {}

  static async of(client: Cluster): Promise<ClusterPlacement> {
    const slots = await client.cluster('SLOTS');
    return new ClusterPlacement(
      client,
      slots.map(([from, to, [, port]]) => ({ from, to, port })),
    );
  }

  /** The port of the master holding `key`. */
  async portOf(key: string): Promise<number> {
    const slot = await this.client.cluster('KEYSLOT', key);
    return this.owners.find((r) => slot >= r.from && slot <= r.to)!.port;
  }

  /** The client's connection to the master on `port`. */
  master(port: number): Redis {
    const node = this.client.nodes('master').find((n) => n.options.port === port);
    if (!node) throw new Error(`no master on port ${port}`);
    return node;
  }
}
