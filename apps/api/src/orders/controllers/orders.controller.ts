import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckoutService, OrderHistoryService, OrderReader, OrderStatusService, type Viewer } from '@app/orders';
import { AdminOnly, Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';
import { CheckoutDto } from '../dto/checkout.dto.js';
import {
  HistoryEntryDto,
  HistoryVerificationDto,
  ListOrdersQuery,
  OrderDto,
  OrderPageDto,
  OwnedOrderDto,
  UpdateOrderStatusDto,
} from '../dto/order.dto.js';
import { IdempotencyKey } from '../http/idempotency-key.decorator.js';
import { IDEMPOTENCY_KEY_DOC, OrderByIdRoute } from '../http/orders-api-docs.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

const viewerOf = (user: AuthUser): Viewer => ({ userId: user.id, role: user.role });

@ApiTags('orders')
@Authenticated()
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly checkouts: CheckoutService,
    private readonly reader: OrderReader,
    private readonly statuses: OrderStatusService,
    private readonly history: OrderHistoryService,
    private readonly metrics: MetricsRegistry,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'checkout',
    summary: 'Check out the cart (`{}`) or the given items; stock is taken atomically, nothing is oversold',
  })
  @IDEMPOTENCY_KEY_DOC
  @ApiCreatedResponse({
    type: OrderDto,
    description: 'Order placed (or the replay of the first answer for this key: then `Idempotent-Replayed: true`)',
    headers: {
      'Idempotent-Replayed': {
        description: 'true when this answer is the stored one of an earlier request with the same key',
        schema: { type: 'string' },
      },
    },
  })
  @ApiErrors({
    status: 400,
    description: 'Missing or malformed Idempotency-Key, or an invalid body (the message names each field)',
    message: ['Idempotency-Key: is required'],
  })
  @ApiErrors({
    status: 404,
    description: 'Unknown or deleted product(s) in `items`, named; nothing changed',
    message: 'product(s) not found: 0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21',
  })
  @ApiErrors({
    status: 409,
    description: 'Not enough stock for the named product(s) (or a cart product no longer sold); nothing changed',
    message: 'insufficient stock for product(s) 0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21',
  })
  @ApiErrors({ status: 422, description: 'Empty cart, or the key was already used with a different body', message: 'cart: is empty' })
  @ApiErrors({
    status: 503,
    description: 'The cart store or the database is unreachable; retry with the same key',
    message: 'cart: temporarily unavailable',
  })
  async checkout(
    @CurrentUser() user: AuthUser,
    @IdempotencyKey() key: string,
    @Body() body: CheckoutDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const answer = await this.checkouts.checkout({ id: user.id, role: user.role }, key, { items: body.items }, request.id);
    void reply.status(answer.statusCode).header('content-type', 'application/json; charset=utf-8');
    if (answer.replayed) {
      void reply.header('idempotent-replayed', 'true');
      this.metrics.idempotentReplays.inc();
    }
    return answer.body;
  }

  @Get()
  @ApiOperation({
    operationId: 'listOrders',
    summary: 'Orders, newest first: the caller’s own, or for admins everyone’s (or one user’s with `userId`)',
  })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiErrors({ status: 400, description: 'page, limit or userId invalid', message: ['limit: must not be greater than 100'] })
  @ApiErrors({
    status: 403,
    description: 'A customer asked for another user’s orders',
    message: 'userId: only admins may list other users’ orders',
  })
  list(@CurrentUser() user: AuthUser, @Query() query: ListOrdersQuery): Promise<OrderPageDto> {
    return this.reader.list(viewerOf(user), query.page, query.limit, query.userId?.toLowerCase());
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getOrder', summary: 'One order (the caller’s; admins: any), readable at once after checkout' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  get(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<OwnedOrderDto> {
    return this.reader.get(id, viewerOf(user));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ operationId: 'cancelOrder', summary: 'Cancel a placed or paid order (owner or admin); its stock is given back' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  @ApiErrors({
    status: 409,
    description: 'The order is shipped, delivered or already cancelled',
    message: 'status: cannot change from shipped to cancelled',
  })
  cancel(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<OwnedOrderDto> {
    return this.statuses.cancel(id, viewerOf(user));
  }

  @Patch(':id/status')
  @AdminOnly()
  @ApiOperation({
    operationId: 'setOrderStatus',
    summary: 'Move an order: placed → paid → shipped → delivered, placed or paid → cancelled',
  })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  @ApiErrors({
    status: 409,
    description: 'Transition not allowed from the current status (both named)',
    message: 'status: cannot change from placed to shipped',
  })
  setStatus(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUuidPipe('id')) id: string,
    @Body() body: UpdateOrderStatusDto,
  ): Promise<OwnedOrderDto> {
    return this.statuses.changeStatus(id, body.status, viewerOf(user));
  }

  @Get(':id/history')
  @ApiOperation({ operationId: 'getOrderHistory', summary: 'Audit trail of the order, oldest first (owner or admin)' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: [HistoryEntryDto] })
  historyOf(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<HistoryEntryDto[]> {
    return this.history.list(id, viewerOf(user));
  }

  @Get(':id/history/verify')
  @AdminOnly()
  @ApiOperation({
    operationId: 'verifyOrderHistory',
    summary: 'Check the hash chain of the order’s history: finds an entry changed or removed behind the API’s back',
  })
  @OrderByIdRoute()
  @ApiOkResponse({ type: HistoryVerificationDto })
  verify(@Param('id', new ParseUuidPipe('id')) id: string): Promise<HistoryVerificationDto> {
    return this.history.verify(id);
  }
}
