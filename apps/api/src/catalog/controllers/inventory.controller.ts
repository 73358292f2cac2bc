import { Body, Controller, Patch } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '@app/common';
import { InventoryService } from '@app/catalog';
import { AdminOnly } from '../../auth/index.js';
import { ADMIN_WRITE_BODY_LIMIT, BodyLimit } from '../../http/body-parsers.js';
import { InventoryResultDto, InventoryUpdateDto } from '../dto/inventory.dto.js';

@ApiTags('catalog')
@Controller('products/inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @AdminOnly()
  @Patch()
  @BodyLimit(ADMIN_WRITE_BODY_LIMIT)
  @ApiOperation({ summary: 'Set or change the stock of several products, all or nothing (one transaction)' })
  @ApiOkResponse({ type: InventoryResultDto, description: 'The new stock of each product, in request order' })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid body (e.g. both stock and delta, duplicate productId)' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'Unknown or deleted product(s), named; nothing changed' })
  @ApiConflictResponse({ type: ErrorBody, description: 'Stock would go below 0 for the named product(s); nothing changed' })
  adjust(@Body() dto: InventoryUpdateDto): Promise<InventoryResultDto> {
    return this.inventory.adjust(dto.items);
  }
}
