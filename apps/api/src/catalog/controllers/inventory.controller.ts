import { Body, Controller, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InventoryService } from '@app/catalog';
import { AdminOnly } from '../../auth/index.js';
import { ADMIN_WRITE_BODY_LIMIT, BodyLimit } from '../../http/body-parsers.js';
import { InventoryResultDto, InventoryUpdateDto } from '../dto/inventory.dto.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

@ApiTags('catalog')
@Controller('products/inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @AdminOnly()
  @Patch()
  @BodyLimit(ADMIN_WRITE_BODY_LIMIT)
  @ApiOperation({
    operationId: 'updateInventory',
    summary: 'Set or change the stock of several products, all or nothing (one transaction)',
  })
  @ApiOkResponse({ type: InventoryResultDto, description: 'The new stock of each product, in request order' })
  @ApiErrors({ status: 400, description: 'Invalid body (e.g. both stock and delta, duplicate productId)' })
  @ApiErrors({ status: 404, description: 'Unknown or deleted product(s), named; nothing changed' })
  @ApiErrors({ status: 409, description: 'Stock would go below 0 for the named product(s); nothing changed' })
  adjust(@Body() dto: InventoryUpdateDto): Promise<InventoryResultDto> {
    return this.inventory.adjust(dto.items);
  }
}
