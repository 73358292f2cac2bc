import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SessionService } from '@app/identity';
import { Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { SessionDto, toSessionDto } from '../dto/session.dto.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

@ApiTags('auth')
@Authenticated()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  @ApiOperation({ operationId: 'listSessions', summary: 'The caller’s active sessions, newest first' })
  @ApiOkResponse({ type: [SessionDto] })
  async list(@CurrentUser() user: AuthUser): Promise<SessionDto[]> {
    return (await this.sessions.listActive(user.id)).map((s) => toSessionDto(s, user.sessionId));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ operationId: 'revokeSession', summary: 'Revoke one of the caller’s sessions (effective at once)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors({ status: 400, description: 'Malformed id' })
  @ApiErrors({ status: 404, description: 'No such session of the caller' })
  revoke(@CurrentUser() user: AuthUser, @Param('id', new ParseUuidPipe('id')) id: string): Promise<void> {
    return this.sessions.revokeOwn(user.id, id, 'revoked');
  }
}
