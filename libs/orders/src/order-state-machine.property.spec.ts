import fc from 'fast-check';
import { checkTransition } from './order-state-machine.js';
import { ORDER_STATUSES, type OrderStatus } from './orders.types.js';

/** The model: the allowed edges, written out independently of the implementation. */
const EDGES = new Set(['placed>paid', 'paid>shipped', 'shipped>delivered', 'placed>cancelled', 'paid>cancelled']);
const modelAllows = (from: OrderStatus, to: OrderStatus): boolean => EDGES.has(`${from}>${to}`);

const target = fc.constantFrom<OrderStatus>(...ORDER_STATUSES);

describe('order state machine (property)', () => {
  it('random request sequences from placed: illegal ones are rejected and never move the status; one accepted step per legal request', () => {
    fc.assert(
      fc.property(fc.array(target, { minLength: 0, maxLength: 40 }), (requests) => {
        let status: OrderStatus = 'placed';
        let modelStatus: OrderStatus = 'placed';
        const history: { from: OrderStatus; to: OrderStatus }[] = []; // "one row per accepted step"
        let legalRequests = 0;
        for (const to of requests) {
          const legal = modelAllows(modelStatus, to);
          if (legal) {
            legalRequests++;
            modelStatus = to;
          }
          const before = status;
          const check = checkTransition(status, to);
          expect(check.ok).toBe(legal);
          if (check.ok) {
            history.push({ from: status, to });
            status = to;
          } else {
            expect(check.reason).toContain(before);
            expect(check.reason).toContain(to);
            expect(status).toBe(before);
          }
          expect(status).toBe(modelStatus);
        }
        expect(history).toHaveLength(legalRequests);
        // the accepted steps form a chain starting at placed
        history.forEach((step, i) => expect(step.from).toBe(i === 0 ? 'placed' : history[i - 1].to));
      }),
      { numRuns: 2000 },
    );
  });

  it('sequences biased towards legal steps reach every status, and a terminal status accepts nothing more', () => {
    // Mostly pick a legal next status (from the model), sometimes a random one.
    const step = fc.record({ pickLegal: fc.boolean(), index: fc.nat(), random: target });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let status: OrderStatus = 'placed';
        let accepted = 0;
        let legalRequests = 0;
        for (const s of steps) {
          const legalTargets = ORDER_STATUSES.filter((t) => modelAllows(status, t));
          const to = s.pickLegal && legalTargets.length ? legalTargets[s.index % legalTargets.length] : s.random;
          if (modelAllows(status, to)) legalRequests++;
          const check = checkTransition(status, to);
          if (check.ok) {
            accepted++;
            status = to;
          }
        }
        expect(accepted).toBe(legalRequests);
        if (status === 'delivered' || status === 'cancelled') {
          for (const t of ORDER_STATUSES) expect(checkTransition(status, t).ok).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the number of accepted steps from placed is at most 3 (placed → paid → shipped → delivered)', () => {
    fc.assert(
      fc.property(fc.array(target, { maxLength: 60 }), (requests) => {
        let status: OrderStatus = 'placed';
        let accepted = 0;
        for (const to of requests) {
          if (checkTransition(status, to).ok) {
            status = to;
            accepted++;
          }
        }
        expect(accepted).toBeLessThanOrEqual(3);
      }),
    );
  });
});
