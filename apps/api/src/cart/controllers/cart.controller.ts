import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CartService, type CartCaller, type CartResult } from '@app/cart';
import { Public } from '../../auth/index.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { AddCartItemDto, SetCartItemDto } from '../dto/cart-item.dto.js';
import { CartCountDto, CartDto } from '../dto/cart.dto.js';
import { CART_TOKEN_RESPONSE_HEADER, CartRoute } from '../http/cart-api-docs.js';
import { CartCallerGuard, CurrentCartCaller } from '../http/cart-caller.guard.js';
import { GuestCartLimit } from '../http/guest-cart-limit.js';
import { ApiErrors, type ErrorDoc } from '../../http/api-errors.decorator.js';

const GUEST_CART_LIMIT: ErrorDoc = {
  status: 429,
  description:
    'Rate limit, or too many new guest carts from this client IP (a write without X-Cart-Token); `Retry-After` says when to retry',
};

/** Cart routes: with a bearer token the user's cart, without one a guest cart (X-Cart-Token). */
@ApiTags('cart')
@Public()
@UseGuards(CartCallerGuard)
@Controller('cart')
export class CartController {
  constructor(
    private readonly cart: CartService,
    private readonly guestLimit: GuestCartLimit,
  ) {}

  @Get()
  @CartRoute()
  @ApiOperation({ operationId: 'getCart', summary: 'The caller’s cart, priced with the current catalog prices' })
  @ApiOkResponse({ type: CartDto, headers: CART_TOKEN_RESPONSE_HEADER })
  async get(@CurrentCartCaller() caller: CartCaller, @Res({ passthrough: true }) reply: FastifyReply): Promise<CartDto> {
    return send(reply, await this.cart.get(caller));
  }

  @Get('count')
  @CartRoute()
  @ApiOperation({ operationId: 'getCartCount', summary: 'Units and lines in the caller’s cart (no catalog lookup)' })
  @ApiOkResponse({ type: CartCountDto, headers: CART_TOKEN_RESPONSE_HEADER })
  async count(@CurrentCartCaller() caller: CartCaller, @Res({ passthrough: true }) reply: FastifyReply): Promise<CartCountDto> {
    return send(reply, await this.cart.count(caller));
  }

  @Post('items')
  @HttpCode(HttpStatus.OK)
  @CartRoute()
  @ApiErrors(GUEST_CART_LIMIT)
  @ApiOperation({
    operationId: 'addCartItem',
    summary: 'Add units of a product to its line (a guest without a token gets a new cart and its X-Cart-Token)',
  })
  @ApiOkResponse({ type: CartDto, headers: CART_TOKEN_RESPONSE_HEADER, description: 'The cart after the change' })
  @ApiErrors({ status: 404, description: 'Unknown or deleted product' })
  @ApiErrors({ status: 409, description: 'The line would hold more than the product’s stock' })
  @ApiErrors({ status: 422, description: 'The line would exceed 100 units, or the cart 100 products' })
  async add(
    @CurrentCartCaller() caller: CartCaller,
    @Body() body: AddCartItemDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CartDto> {
    const productId = body.productId.toLowerCase();
    return send(reply, await this.guestLimit.around(caller, request.ip, () => this.cart.addItem(caller, productId, body.quantity)));
  }

  @Put('items/:productId')
  @CartRoute()
  @ApiErrors(GUEST_CART_LIMIT)
  @ApiOperation({ operationId: 'setCartItem', summary: 'Set the quantity of a line (0 removes it)' })
  @ApiParam({ name: 'productId', format: 'uuid' })
  @ApiOkResponse({ type: CartDto, headers: CART_TOKEN_RESPONSE_HEADER, description: 'The cart after the change' })
  @ApiErrors({ status: 404, description: 'Unknown or deleted product (quantity > 0)' })
  @ApiErrors({ status: 409, description: 'More than the product’s stock' })
  @ApiErrors({ status: 422, description: 'The cart would exceed 100 products' })
  async set(
    @CurrentCartCaller() caller: CartCaller,
    @Param('productId', new ParseUuidPipe('productId')) productId: string,
    @Body() body: SetCartItemDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CartDto> {
    return send(reply, await this.guestLimit.around(caller, request.ip, () => this.cart.setItem(caller, productId, body.quantity)));
  }

  @Delete('items/:productId')
  @CartRoute()
  @ApiOperation({ operationId: 'removeCartItem', summary: 'Remove a line (no error when it is not in the cart)' })
  @ApiParam({ name: 'productId', format: 'uuid' })
  @ApiOkResponse({ type: CartDto, headers: CART_TOKEN_RESPONSE_HEADER, description: 'The cart after the change' })
  async remove(
    @CurrentCartCaller() caller: CartCaller,
    @Param('productId', new ParseUuidPipe('productId')) productId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CartDto> {
    return send(reply, await this.cart.removeItem(caller, productId));
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @CartRoute()
  @ApiOperation({ operationId: 'emptyCart', summary: 'Empty the cart' })
  @ApiNoContentResponse({ description: 'Emptied (also when there was nothing to empty)' })
  empty(@CurrentCartCaller() caller: CartCaller): Promise<void> {
    return this.cart.empty(caller);
  }
}

function send<T>(reply: FastifyReply, result: CartResult<T>): T {
  if (result.cartToken) void reply.header('X-Cart-Token', result.cartToken);
  return result.body;
}
