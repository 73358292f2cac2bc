import { trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { CacheKit } from '../core/testing/kit.js';
import { CollectingReader, recordingProvider, type RecordedSpan as Recorded } from '../testing/telemetry-recorders.js';
import { registerOpenTelemetryMetrics } from './open-telemetry.js';

describe('OpenTelemetry (real Redis)', () => {
  const kit = new CacheKit('otel');
  const spans: Recorded[] = [];
  afterAll(() => kit.cleanup());
  beforeAll(() => {
    trace.setGlobalTracerProvider(recordingProvider(spans));
  });

  it('loads are spans (with their namespace and, for batches, their key count); a failed load is marked', async () => {
    const svc = await kit.cache({ openTelemetry: false });
    const c = svc.namespace('traced');
    await c.getOrLoad('k', async () => 'v');
    await c.getOrLoad('k', async () => 'hit: no span');
    await c.getMany(['a', 'b', 'k'], async (keys) => keys.map(() => 'x'));
    await expect(c.getOrLoad('bad', async () => Promise.reject(new Error('db')))).rejects.toThrow('db');
    expect(spans.map((s) => [s.name, s.attributes, s.error, s.ended])).toEqual([
      ['cache.load', { 'cache.namespace': 'traced' }, false, true],
      ['cache.load_many', { 'cache.namespace': 'traced', 'cache.keys': 2 }, false, true],
      ['cache.load', { 'cache.namespace': 'traced' }, true, true],
    ]);
  });

  it('the counters are OpenTelemetry metrics per namespace', async () => {
    const svc = await kit.cache({ openTelemetry: false });
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const stop = registerOpenTelemetryMetrics(svc.stats, provider.getMeter('test'));
    const c = svc.namespace('metered');
    await c.getOrLoad('k', async () => 'v');
    await c.getOrLoad('k', async () => 'v');
    const { resourceMetrics } = await reader.collect();
    const points = new Map<string, number>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const m of scope.metrics) {
        for (const dp of m.dataPoints)
          if (dp.attributes['cache.namespace'] === 'metered') points.set(m.descriptor.name, dp.value as number);
      }
    }
    expect(points.get('cache.hits')).toBe(1);
    expect(points.get('cache.misses')).toBe(1);
    expect(points.get('cache.loads')).toBe(1);
    stop();
    await provider.shutdown();
  });
});
