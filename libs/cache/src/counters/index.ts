export { CounterService, type BoundedResult, type CounterWriteOptions } from './counter.service.js';
