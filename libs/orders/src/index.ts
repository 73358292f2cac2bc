// What other modules and the apps may use from orders.
export { OrdersModule } from './orders.module.js';
