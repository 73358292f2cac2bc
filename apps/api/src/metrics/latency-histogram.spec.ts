import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1];

describe('LatencyHistogram', () => {
  it('exposes the same text as prom-client Histogram for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new LatencyHistogram('latency_seconds', 'help text', BUCKETS, ours);
    const reference = new Histogram({
      name: 'latency_seconds',
      help: 'help text',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const samples: [Record<string, string>, number][] = [
      [{ method: 'GET', route: '/a', status: '200' }, 0.0004],
      [{ method: 'GET', route: '/a', status: '200' }, 0.001], // on a bound: counted in le="0.001"
      [{ method: 'GET', route: '/a', status: '200' }, 0.05],
      [{ method: 'GET', route: '/a', status: '200' }, 7], // above every bound: only +Inf
      [{ method: 'POST', route: '/b', status: '400' }, 0.002],
    ];
    for (const [labels, value] of samples) {
      fast.labels(labels).observe(value);
      reference.labels(labels).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toMatch(/latency_seconds_bucket\{le="0.001",method="GET",route="\/a",status="200"\} 2/);
  });

  it('keeps one series per label set; reset zeroes it and a series held by a caller still counts', async () => {
    const registry = new Registry();
    const h = new LatencyHistogram('x_seconds', 'x', BUCKETS, registry);
    const held = h.labels({ route: '/a' });
    expect(h.labels({ route: '/a' })).toBe(held);
    held.observe(0.5);
    expect(await registry.metrics()).toMatch(/x_seconds_count\{route="\/a"\} 1/);
    registry.resetMetrics();
    expect(await registry.metrics()).toMatch(/x_seconds_count\{route="\/a"\} 0/);
    held.observe(0.002);
    expect(await registry.metrics()).toMatch(/x_seconds_bucket\{le="0.005",route="\/a"\} 1/);
  });
});
