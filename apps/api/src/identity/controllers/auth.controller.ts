import { Body, Controller, Header, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { AuthService, type ClientInfo } from '@app/identity';
import { Authenticated, CurrentUser, type AuthUser } from '../../auth/index.js';
import { AuthResponseDto, LoginDto, RefreshDto, RegisterDto } from '../dto/auth.dto.js';
import { LimitAttempts } from '../../throttling/attempt-limit.interceptor.js';
import { Client } from './client.decorator.js';
import { ApiErrors, type ErrorDoc } from '../../http/api-errors.decorator.js';
import { CART_TOKEN_PATTERN } from '../../cart/http/cart-api-docs.js';

const CART_TOKEN = {
  name: 'x-cart-token',
  required: false,
  description: 'Guest cart to merge into the user’s cart',
  schema: { type: 'string' as const, pattern: CART_TOKEN_PATTERN },
};
const TOO_MANY: ErrorDoc = { status: 429, description: 'Rate limited; see the Retry-After header (seconds)' };
const HASHING_BUSY: ErrorDoc = {
  status: 503,
  description: 'Too many password hashes at once on this instance; see the Retry-After header (seconds)',
};

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Header('Cache-Control', 'no-store')
  @Public()
  @LimitAttempts('register')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ operationId: 'register', summary: 'Create a customer account and sign in (limited per IP)' })
  @ApiHeader(CART_TOKEN)
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrors({ status: 400, description: 'Invalid fields (e.g. password shorter than 8, or not well-formed Unicode), or unknown fields' })
  @ApiErrors({ status: 409, description: 'Email already registered' })
  @ApiErrors(TOO_MANY)
  @ApiErrors(HASHING_BUSY)
  register(@Body() body: RegisterDto, @Client() client: ClientInfo, @Headers('x-cart-token') cartToken?: string): Promise<AuthResponseDto> {
    return this.auth.register(body, client, cartToken);
  }

  @Post('login')
  @Header('Cache-Control', 'no-store')
  @Public()
  @LimitAttempts('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ operationId: 'login', summary: 'Sign in with email and password (failures limited per email and IP, and per IP)' })
  @ApiHeader(CART_TOKEN)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrors(400)
  @ApiErrors({ status: 401, description: 'Wrong email or password (one message for both)' })
  @ApiErrors({
    status: 429,
    description: 'Too many failed logins for this email from this IP, or from this IP; see the Retry-After header (seconds)',
  })
  @ApiErrors(HASHING_BUSY)
  login(@Body() body: LoginDto, @Client() client: ClientInfo, @Headers('x-cart-token') cartToken?: string): Promise<AuthResponseDto> {
    return this.auth.login(body, client, cartToken);
  }

  @Post('refresh')
  @Header('Cache-Control', 'no-store')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ operationId: 'refreshToken', summary: 'Exchange a refresh token for a new pair; a reused token revokes its session' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrors(400)
  @ApiErrors({ status: 401, description: 'Unknown, expired, revoked or already used refresh token' })
  @ApiErrors(TOO_MANY)
  refresh(@Body() body: RefreshDto): Promise<AuthResponseDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ operationId: 'logout', summary: 'End the current session (its access and refresh tokens stop working at once)' })
  @ApiNoContentResponse({ description: 'Signed out' })
  logout(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.logout(user.sessionId);
  }
}
