import { Controller, Get, Module } from '@nestjs/common';
import { Public } from '@app/common';
import { createTestApp } from '../support/test-app.js';

// Resolved when the slow handler is running, so shutdown starts while the request is in flight.
let markEntered: () => void = () => undefined;
const entered = new Promise<void>((resolve) => (markEntered = resolve));

@Public()
@Controller('probe')
class SlowController {
  @Get('slow')
  async slow(): Promise<{ done: true }> {
    markEntered();
    await new Promise((r) => setTimeout(r, 500));
    return { done: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown', () => {
  // Without draining, close() would wait for the keep-alive timeout (72 s) and exceed the test timeout.
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const app = await createTestApp({}, { imports: [SlowModule] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = await app.getUrl();

    const inFlight = fetch(`${url}/api/v1/probe/slow`);
    await entered;
    const closing = app.close();

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
