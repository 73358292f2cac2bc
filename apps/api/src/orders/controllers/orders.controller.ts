import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckoutService, OrderHistoryService, OrderReader, OrderStatusService, type Viewer } from '@app/orders';
import { AdminOnly, Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { ApiError } from '../../http/api-error.decorator.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { MetricsRegistry } from '../../metrics/metrics.registry.js';
import { CheckoutDto } from '../dto/checkout.dto.js';
import { HistoryEntryDto, HistoryVerificationDto, ListOrdersQuery, OrderDto, OrderPageDto, OwnedOrderDto, UpdateOrderStatusDto } from '../dto/order.dto.js';
import { IdempotencyKey } from '../http/idempotency-key.decorator.js';
import { IDEMPOTENCY_KEY_DOC, OrderByIdRoute } from '../http/orders-api-docs.js';

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
  @ApiOperation({ summary: 'Check out the cart (`{}`) or the given items; stock is taken atomically, nothing is oversold' })
  @IDEMPOTENCY_KEY_DOC
  @ApiCreatedResponse({
    type: OrderDto,
    description: 'Order placed (or the replay of the first answer for this key: then `Idempotent-Replayed: true`)',
    headers: { 'Idempotent-Replayed': { description: 'true when this answer is the stored one of an earlier request with the same key', schema: { type: 'string' } } },
  })
  @ApiError(400, 'Missing or malformed Idempotency-Key, or an invalid body (the message names each field)', ['Idempotency-Key: is required'])
  @ApiError(404, 'Unknown or deleted product(s) in `items`, named; nothing changed', 'product(s) not found: 0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21')
  @ApiError(409, 'Not enough stock for the named product(s) (or a cart product no longer sold); nothing changed', 'insufficient stock for product(s) 0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21')
  @ApiError(422, 'Empty cart, or the key was already used with a different body', 'cart: is empty')
  @ApiError(503, 'The cart store or the database is unreachable; retry with the same key', 'cart: temporarily unavailable')
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
  @ApiOperation({ summary: 'Orders, newest first: the caller’s own, or for admins everyone’s (or one user’s with `userId`)' })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiError(400, 'page, limit or userId invalid', ['limit: must not be greater than 100'])
  @ApiError(403, 'A customer asked for another user’s orders', 'userId: only admins may list other users’ orders')
  list(@CurrentUser() user: AuthUser, @Query() query: ListOrdersQuery): Promise<OrderPageDto> {
    return this.reader.list(viewerOf(user), query.page, query.limit, query.userId?.toLowerCase());
  }

  @Get(':id')
  @ApiOperation({ summary: 'One order (the caller’s; admins: any), readable at once after checkout' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  get(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<OwnedOrderDto> {
    return this.reader.get(id, viewerOf(user));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a placed or paid order (owner or admin); its stock is given back' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  @ApiError(409, 'The order is shipped, delivered or already cancelled', 'status: cannot change from shipped to cancelled')
  cancel(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<OwnedOrderDto> {
    return this.statuses.cancel(id, viewerOf(user));
  }

  @Patch(':id/status')
  @AdminOnly()
  @ApiOperation({ summary: 'Move an order: placed → paid → shipped → delivered, placed or paid → cancelled' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: OwnedOrderDto })
  @ApiError(409, 'Transition not allowed from the current status (both named)', 'status: cannot change from placed to shipped')
  setStatus(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string, @Body() body: UpdateOrderStatusDto): Promise<OwnedOrderDto> {
    return this.statuses.changeStatus(id, body.status, viewerOf(user));
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Audit trail of the order, oldest first (owner or admin)' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: [HistoryEntryDto] })
  historyOf(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<HistoryEntryDto[]> {
    return this.history.list(id, viewerOf(user));
  }

  @Get(':id/history/verify')
  @AdminOnly()
  @ApiOperation({ summary: 'Check the hash chain of the order’s history: finds an entry changed or removed behind the API’s back' })
  @OrderByIdRoute()
  @ApiOkResponse({ type: HistoryVerificationDto })
  verify(@Param('id', new ParseUuidPipe('id')) id: string): Promise<HistoryVerificationDto> {
    return this.history.verify(id);
  }
}
