import { trace, type Attributes, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { CacheKit } from '../core/testing/kit.js';
import { registerOpenTelemetryMetrics } from './open-telemetry.js';

/** A metric reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Recorded {
  name: string;
  attributes: Attributes;
  error: boolean;
  ended: boolean;
}

/** A tracer provider that records the spans it is asked for (registered as the global one). */
function recordingProvider(spans: Recorded[]): TracerProvider {
  const startSpan = (name: string, options?: { attributes?: Attributes }): Span => {
    const rec: Recorded = { name, attributes: { ...options?.attributes }, error: false, ended: false };
    spans.push(rec);
    const span = {
      setStatus: (s: { code: number }) => ((rec.error = s.code === 2), span),
      recordException: () => undefined,
      end: () => void (rec.ended = true),
      setAttribute: () => span,
      setAttributes: () => span,
      isRecording: () => true,
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
    };
    return span as unknown as Span;
  };
  const tracer = {
    startSpan,
    startActiveSpan: (name: string, ...rest: unknown[]) => {
      const fn = rest[rest.length - 1] as (span: Span) => unknown;
      const options = rest.length > 1 ? (rest[0] as { attributes?: Attributes }) : undefined;
      return fn(startSpan(name, options));
    },
  } as unknown as Tracer;
  return { getTracer: () => tracer };
}

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
        for (const dp of m.dataPoints) if (dp.attributes['cache.namespace'] === 'metered') points.set(m.descriptor.name, dp.value as number);
      }
    }
    expect(points.get('cache.hits')).toBe(1);
    expect(points.get('cache.misses')).toBe(1);
    expect(points.get('cache.loads')).toBe(1);
    stop();
    await provider.shutdown();
  });
});
