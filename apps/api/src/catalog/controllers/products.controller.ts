import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProductReader, ProductWriter } from '@app/catalog';
import { AdminOnly, Public } from '../../auth/index.js';
import { ADMIN_WRITE_BODY_LIMIT, BodyLimit } from '../../http/body-parsers.js';
import { conditionalJson, jsonBodyOf } from '../../http/json-body.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { ProductDto, ProductPageDto } from '../dto/product.dto.js';
import { ProductQueryDto } from '../dto/product-query.dto.js';
import { CreateProductDto, UpdateProductDto } from '../dto/product-write.dto.js';
import { ApiConditionalGet } from '../http/api-docs.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

@ApiTags('catalog')
@Controller('products')
export class ProductsController {
  constructor(
    private readonly reader: ProductReader,
    private readonly writer: ProductWriter,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'listProducts', summary: 'Products, filtered, sorted and paginated (cached; ETag)' })
  @ApiConditionalGet(ProductPageDto)
  async list(
    @Query() query: ProductQueryDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    return conditionalJson(req, reply, jsonBodyOf(await this.reader.list(query)));
  }

  @Public()
  @Get(':id')
  @ApiOperation({ operationId: 'getProduct', summary: 'One live product (cached; ETag)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiConditionalGet(ProductDto, { notFound: true })
  async get(
    @Param('id', new ParseUuidPipe('id')) id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    return conditionalJson(req, reply, jsonBodyOf(await this.reader.get(id)));
  }

  @AdminOnly()
  @Post()
  @BodyLimit(ADMIN_WRITE_BODY_LIMIT)
  @ApiOperation({ operationId: 'createProduct', summary: 'Create a product (currency: the store currency)' })
  @ApiCreatedResponse({ type: ProductDto })
  @ApiErrors({ status: 400, description: 'Invalid body, or categoryId names no category' })
  @ApiErrors({ status: 409, description: 'SKU taken' })
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.writer.create(dto);
  }

  @AdminOnly()
  @Patch(':id')
  @BodyLimit(ADMIN_WRITE_BODY_LIMIT)
  @ApiOperation({ operationId: 'updateProduct', summary: 'Partial update; every later read on every instance shows it' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ProductDto })
  @ApiErrors({ status: 400, description: 'Invalid body or id, or categoryId names no category' })
  @ApiErrors(404)
  @ApiErrors({ status: 409, description: 'SKU taken' })
  update(@Param('id', new ParseUuidPipe('id')) id: string, @Body() dto: UpdateProductDto): Promise<ProductDto> {
    return this.writer.update(id, dto);
  }

  @AdminOnly()
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteProduct', summary: 'Soft delete: gone from reads and lists, kept in past orders' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiErrors(404)
  remove(@Param('id', new ParseUuidPipe('id')) id: string): Promise<void> {
    return this.writer.remove(id);
  }
}
