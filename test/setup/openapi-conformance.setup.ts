/**
 * Jest setupFilesAfterEnv: after each test file, the answers its injected requests got that depart
 * from openapi.json (collected by the app.inject wrapper of createTestApp) fail the file, one line each.
 */
import { formatViolations, takeViolations } from '../support/openapi-conformance.js';

afterAll(() => {
  const { violations, checked } = takeViolations();
  if (violations.length === 0) return;
  throw new Error(`${violations.length} of ${checked} answers depart from openapi.json:\n${formatViolations(violations)}`);
});
