import { ApiProperty } from '@nestjs/swagger';

export class NamespaceStatsDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 1200 }) hits!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 800, description: 'Hits answered by the in-process L1' }) l1Hits!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 35 }) misses!: number;
  @ApiProperty({ example: 0.9717, description: 'hits / (hits + misses), 0 when there were no reads' }) hitRate!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 35 }) loads!: number;
  @ApiProperty({ example: 412.5 }) loadTimeMsTotal!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) staleServes!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) errors!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: 'Loader failures and hard timeouts, background refreshes included' })
  loadErrors!: number;
}

export class RedisFiguresDto {
  @ApiProperty({ example: '7.0.15' }) version!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 1048576 }) usedMemoryBytes!: number;
  @ApiProperty({ example: '1.00M' }) usedMemoryHuman!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 12 }) connectedClients!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 4242, description: 'Keys in the current database (all masters on a cluster)' })
  keys!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 100000 }) keyspaceHits!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 2500 }) keyspaceMisses!: number;
}

export class CacheStatsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/NamespaceStatsDto' },
    description: 'Per cache namespace, since this instance started',
  })
  namespaces!: Record<string, NamespaceStatsDto>;

  @ApiProperty({ type: NamespaceStatsDto }) totals!: NamespaceStatsDto;

  @ApiProperty({ type: RedisFiguresDto, nullable: true, description: 'null when Redis is unreachable' })
  redis!: RedisFiguresDto | null;
}
