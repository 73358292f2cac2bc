import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorBody } from '@app/common';
import { CategoryService } from '@app/catalog';
import { AdminOnly, Public } from '../../auth/index.js';
import { conditionalJson, jsonBodyOf } from '../../http/json-body.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { CategoryDto, CreateCategoryDto, UpdateCategoryDto } from '../dto/category.dto.js';
import { ApiConditionalGet } from '../http/api-docs.js';

@ApiTags('catalog')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly categories: CategoryService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'All categories, by name (cached; ETag)' })
  @ApiConditionalGet([CategoryDto])
  async list(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return conditionalJson(req, reply, jsonBodyOf(await this.categories.list()));
  }

  @AdminOnly()
  @Post()
  @ApiOperation({ summary: 'Create a category' })
  @ApiCreatedResponse({ type: CategoryDto })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, or parentId names no category' })
  @ApiConflictResponse({ type: ErrorBody, description: 'Slug taken' })
  create(@Body() dto: CreateCategoryDto): Promise<CategoryDto> {
    return this.categories.create(dto);
  }

  @AdminOnly()
  @Patch(':id')
  @ApiOperation({ summary: 'Update a category (products embedding it show the change at once)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CategoryDto })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body, unknown parent or a cycle' })
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'Slug taken' })
  update(@Param('id', new ParseUuidPipe('id')) id: string, @Body() dto: UpdateCategoryDto): Promise<CategoryDto> {
    return this.categories.update(id, dto);
  }

  @AdminOnly()
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a category (409 while live products or subcategories use it)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'Still used by products or subcategories' })
  remove(@Param('id', new ParseUuidPipe('id')) id: string): Promise<void> {
    return this.categories.remove(id);
  }
}
