import { Body, Controller, Get, Header, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { UsersService } from '@app/identity';
import { AdminOnly, Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { jsonBodyOf } from '../../http/json-body.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { LimitAttempts } from '../../throttling/attempt-limit.interceptor.js';
import { UserDto, UsersPageDto } from '../dto/user.dto.js';
import { ListUsersQuery, UpdateMeDto, UpdateRoleDto } from '../dto/users.dto.js';
import { ApiErrors } from '../../http/api-errors.decorator.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ operationId: 'getMe', summary: 'The caller’s profile' })
  @ApiOkResponse({ type: UserDto })
  @Header('Content-Type', 'application/json; charset=utf-8')
  async me(@CurrentUser() user: AuthUser): Promise<string> {
    // The body serialized once per cached profile (the hottest authenticated route).
    return jsonBodyOf(await this.users.get(user.id)).json;
  }

  @Patch('me')
  @Authenticated()
  @LimitAttempts('password-change')
  @ApiOperation({
    operationId: 'updateMe',
    summary: 'Change name and/or password (needs currentPassword; revokes the other sessions; password checks limited per user and IP)',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({ status: 400, description: 'Invalid or unknown fields, missing or wrong currentPassword' })
  @ApiErrors({
    status: 429,
    description: 'Too many wrong currentPassword for this user, or password changes from this IP; see the Retry-After header (seconds)',
  })
  @ApiErrors({ status: 503, description: 'Too many password hashes at once on this instance; see the Retry-After header (seconds)' })
  updateMe(@CurrentUser() user: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    return this.users.updateProfile(user.id, user.sessionId, body);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ operationId: 'listUsers', summary: 'All users, newest first (paginated)' })
  @ApiOkResponse({ type: UsersPageDto })
  @ApiErrors({ status: 400, description: 'page or limit out of range' })
  list(@Query() query: ListUsersQuery): Promise<UsersPageDto> {
    return this.users.list(query.page, query.limit);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({ operationId: 'setUserRole', summary: 'Change a user’s role (applies to their live sessions at once)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({ status: 400, description: 'Malformed id or invalid role' })
  @ApiErrors({ status: 404, description: 'No such user' })
  setRole(@Param('id', new ParseUuidPipe('id')) id: string, @Body() body: UpdateRoleDto): Promise<UserDto> {
    return this.users.setRole(id, body.role);
  }
}
