import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CategoryService } from '@app/catalog';
import { AdminOnly, Public } from '../../auth/index.js';
import { conditionalJson, jsonBodyOf } from '../../http/json-body.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { CategoryDto, CreateCategoryDto, UpdateCategoryDto } from '../dto/category.dto.js';
import { ApiConditionalGet } from '../http/api-docs.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

@ApiTags('catalog')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly categories: CategoryService) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'listCategories', summary: 'All categories, by name (cached; ETag)' })
  @ApiConditionalGet([CategoryDto])
  async list(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string | undefined> {
    return conditionalJson(req, reply, jsonBodyOf(await this.categories.list()));
  }

  @AdminOnly()
  @Post()
  @ApiOperation({ operationId: 'createCategory', summary: 'Create a category' })
  @ApiCreatedResponse({ type: CategoryDto })
  @ApiErrors({ status: 400, description: 'Invalid body, or parentId names no category' })
  @ApiErrors({ status: 409, description: 'Slug taken' })
  create(@Body() dto: CreateCategoryDto): Promise<CategoryDto> {
    return this.categories.create(dto);
  }

  @AdminOnly()
  @Patch(':id')
  @ApiOperation({ operationId: 'updateCategory', summary: 'Update a category (products embedding it show the change at once)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CategoryDto })
  @ApiErrors({ status: 400, description: 'Invalid body, unknown parent or a cycle' })
  @ApiErrors(404)
  @ApiErrors({ status: 409, description: 'Slug taken' })
  update(@Param('id', new ParseUuidPipe('id')) id: string, @Body() dto: UpdateCategoryDto): Promise<CategoryDto> {
    return this.categories.update(id, dto);
  }

  @AdminOnly()
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteCategory', summary: 'Delete a category (409 while live products or subcategories use it)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiErrors(404)
  @ApiErrors({ status: 409, description: 'Still used by products or subcategories' })
  remove(@Param('id', new ParseUuidPipe('id')) id: string): Promise<void> {
    return this.categories.remove(id);
  }
}
