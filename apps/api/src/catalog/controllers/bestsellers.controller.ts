import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BestsellersService } from '@app/catalog';
import { Public } from '../../auth/index.js';
import { conditionalJson, jsonBody } from '../../http/json-body.js';
import { BestsellerDto } from '../dto/product.dto.js';
import { BestsellersQueryDto } from '../dto/product-query.dto.js';
import { ApiConditionalGet } from '../http/api-docs.js';

@ApiTags('catalog')
@Controller('products/bestsellers')
export class BestsellersController {
  constructor(private readonly bestsellers: BestsellersService) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'listBestsellers', summary: 'Live products ordered by units sold (empty until orders exist; ETag)' })
  @ApiConditionalGet([BestsellerDto])
  async top(
    @Query() query: BestsellersQueryDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    return conditionalJson(req, reply, jsonBody(await this.bestsellers.top(query.limit ?? 10)));
  }
}
