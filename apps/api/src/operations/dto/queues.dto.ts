import { ApiProperty } from '@nestjs/swagger';

export class QueueCountsDto {
  @ApiProperty({ example: 'bestsellers' })
  name!: string;

  @ApiProperty({ example: 0, type: 'integer', description: 'Waiting to run (including prioritized)' })
  waiting!: number;

  @ApiProperty({ example: 1, type: 'integer' })
  active!: number;

  @ApiProperty({ example: 0, type: 'integer', description: 'Waiting for a retry backoff or a schedule' })
  delayed!: number;

  @ApiProperty({ example: 0, type: 'integer', description: 'Out of attempts; see retry-failed' })
  failed!: number;

  @ApiProperty({ example: 42, type: 'integer', description: 'Completed and still kept (one hour)' })
  completed!: number;
}

export class OutboxBacklogDto {
  @ApiProperty({ example: 0, type: 'integer', description: 'Events committed but not relayed to the queues yet' })
  pending!: number;

  @ApiProperty({ example: 0, type: 'integer', description: 'Age of the oldest pending event' })
  oldestPendingSeconds!: number;
}

export class QueuesDto {
  @ApiProperty({ type: [QueueCountsDto] })
  queues!: QueueCountsDto[];

  @ApiProperty({ type: OutboxBacklogDto })
  outbox!: OutboxBacklogDto;
}

export class RetriedDto {
  @ApiProperty({ example: 3, type: 'integer', description: 'Failed jobs moved back to waiting' })
  retried!: number;
}

export class QueueParamDto {
  @ApiProperty({ example: 'bestsellers', description: 'Queue name (see GET /admin/queues)' })
  name!: string;
}
