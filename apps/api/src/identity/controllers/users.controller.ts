import { Body, Controller, Get, Header, Param, Patch, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '@app/common';
import { UsersService } from '@app/identity';
import { AdminOnly, Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { jsonBodyOf } from '../../http/json-body.js';
import { ParseUuidPipe } from '../../http/parse-uuid.pipe.js';
import { LimitAttempts } from '../../throttling/attempt-limit.interceptor.js';
import { UserDto, UsersPageDto } from '../dto/user.dto.js';
import { ListUsersQuery, UpdateMeDto, UpdateRoleDto } from '../dto/users.dto.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller’s profile' })
  @ApiOkResponse({ type: UserDto })
  @Header('Content-Type', 'application/json; charset=utf-8')
  async me(@CurrentUser() user: AuthUser): Promise<string> {
    // The body serialized once per cached profile (the hottest authenticated route).
    return jsonBodyOf(await this.users.get(user.id)).json;
  }

  @Patch('me')
  @Authenticated()
  @LimitAttempts('password-change')
  @ApiOperation({ summary: 'Change name and/or password (needs currentPassword; revokes the other sessions; password checks limited per user and IP)' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid or unknown fields, missing or wrong currentPassword' })
  @ApiTooManyRequestsResponse({ type: ErrorBody, description: 'Too many wrong currentPassword for this user, or password changes from this IP; see the Retry-After header (seconds)' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'Too many password hashes at once on this instance; see the Retry-After header (seconds)' })
  updateMe(@CurrentUser() user: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    return this.users.updateProfile(user.id, user.sessionId, body);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'All users, newest first (paginated)' })
  @ApiOkResponse({ type: UsersPageDto })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'page or limit out of range' })
  list(@Query() query: ListUsersQuery): Promise<UsersPageDto> {
    return this.users.list(query.page, query.limit);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'Change a user’s role (applies to their live sessions at once)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Malformed id or invalid role' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No such user' })
  setRole(@Param('id', new ParseUuidPipe('id')) id: string, @Body() body: UpdateRoleDto): Promise<UserDto> {
    return this.users.setRole(id, body.role);
  }
}
