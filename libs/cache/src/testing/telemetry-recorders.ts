import type { Attributes, Span, TracerProvider } from '@opentelemetry/api';
import { MetricReader } from '@opentelemetry/sdk-metrics';

/** A metric reader the test collects from on demand. */
export class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface RecordedSpan {
  name: string;
  attributes: Attributes;
  error: boolean;
  ended: boolean;
}

/** A tracer provider that records the spans it is asked for (register it as the global one). */
export function recordingProvider(spans: RecordedSpan[]): TracerProvider {
  const startSpan = (name: string, options?: { attributes?: Attributes }): Span => {
    const rec: RecordedSpan = { name, attributes: { ...options?.attributes }, error: false, ended: false };
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
  };
  return { getTracer: () => tracer };
}
