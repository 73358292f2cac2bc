import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from '../support/test-app.js';

type Operation = {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string; type?: string; items?: { $ref?: string } } }> }>;
  requestBody?: unknown;
  summary?: string;
};

/** /docs-json describes every identity route with its schemas, bearer auth and error bodies. */
describe('identity: OpenAPI', () => {
  let app: NestFastifyApplication;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
  };

  beforeAll(async () => {
    app = await createTestApp();
    doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
  });
  afterAll(async () => {
    await app.close();
  });

  const routes: [string, string, boolean, string, string | null][] = [
    ['post', '/api/v1/auth/register', false, '201', 'AuthResponseDto'],
    ['post', '/api/v1/auth/login', false, '200', 'AuthResponseDto'],
    ['post', '/api/v1/auth/refresh', false, '200', 'AuthResponseDto'],
    ['post', '/api/v1/auth/logout', true, '204', null],
    ['get', '/api/v1/auth/sessions', true, '200', 'SessionDto'],
    ['delete', '/api/v1/auth/sessions/{id}', true, '204', null],
    ['get', '/api/v1/users/me', true, '200', 'UserDto'],
    ['patch', '/api/v1/users/me', true, '200', 'UserDto'],
    ['get', '/api/v1/users', true, '200', 'UsersPageDto'],
    ['patch', '/api/v1/users/{id}', true, '200', 'UserDto'],
  ];

  it.each(routes)('%s %s is documented', (method, path, secured, status, schema) => {
    const op = doc.paths[path]?.[method];
    expect(op).toBeDefined();
    expect(op.summary).toEqual(expect.any(String));
    expect(Boolean(op.security?.length)).toBe(secured);
    expect(op.responses[status]).toBeDefined();
    if (schema) {
      const s = op.responses[status].content!['application/json'].schema;
      expect(s.$ref ?? s.items?.$ref).toBe(`#/components/schemas/${schema}`);
    }
    const errors = Object.entries(op.responses).filter(([code]) => code.startsWith('4'));
    expect(errors.length).toBeGreaterThan(0);
    for (const [, response] of errors) expect(response.content!['application/json'].schema.$ref).toBe('#/components/schemas/ErrorBody');
    if (secured) expect(op.responses['401']).toBeDefined();
  });

  it('admin routes document 403', () => {
    expect(doc.paths['/api/v1/users'].get.responses['403']).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}'].patch.responses['403']).toBeDefined();
  });

  it('describes the DTOs field by field', () => {
    const s = doc.components.schemas;
    expect(Object.keys(s.RegisterDto.properties).sort()).toEqual(['email', 'name', 'password']);
    expect(s.RegisterDto.required?.sort()).toEqual(['email', 'name', 'password']);
    expect(Object.keys(s.LoginDto.properties).sort()).toEqual(['email', 'password']);
    expect(Object.keys(s.RefreshDto.properties)).toEqual(['refreshToken']);
    expect(Object.keys(s.AuthResponseDto.properties).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'user']);
    expect(Object.keys(s.UserDto.properties).sort()).toEqual(['createdAt', 'email', 'id', 'name', 'role']);
    expect(Object.keys(s.SessionDto.properties).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
    expect(Object.keys(s.UpdateMeDto.properties).sort()).toEqual(['currentPassword', 'name', 'password']);
    expect(Object.keys(s.UpdateRoleDto.properties)).toEqual(['role']);
    expect(Object.keys(s.UsersPageDto.properties).sort()).toEqual(['items', 'limit', 'page', 'total']);
  });
});
