import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, isEmail, IsInt, IsOptional, Max, Min } from 'class-validator';
import { createValidationPipe } from './validation.pipe.js';

class PageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsIn(['price', 'name'])
  sort?: string;
}

const query: ArgumentMetadata = { type: 'query', metatype: PageQuery };

class EmailBody {
  @IsEmail()
  email!: string;
}

describe('global validation pipe', () => {
  it('validates a query DTO once per query string and shares the frozen result', async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform({ limit: '20', sort: 'price' }, query)) as PageQuery;
    expect(first).toBeInstanceOf(PageQuery);
    expect(first).toEqual(Object.assign(new PageQuery(), { limit: 20, sort: 'price' }));
    expect(Object.isFrozen(first)).toBe(true);
    expect(await pipe.transform({ limit: '20', sort: 'price' }, query)).toBe(first);
    expect(await pipe.transform({ limit: '21', sort: 'price' }, query)).not.toBe(first);
  });

  it('names every offending field, and does not keep invalid queries', async () => {
    const pipe = createValidationPipe();
    const bad = { limit: '500', sort: 'x', extra: '1' };
    for (let i = 0; i < 2; i++) {
      const error = (await Promise.resolve(pipe.transform(bad, query)).catch((e: unknown) => e)) as BadRequestException;
      expect(error).toBeInstanceOf(BadRequestException);
      const message = (error.getResponse() as { message: string[] }).message;
      expect(message).toEqual(
        expect.arrayContaining([expect.stringMatching(/^limit: /), expect.stringMatching(/^sort: /), expect.stringMatching(/^extra: /)]),
      );
    }
  });

  it('turns an error thrown inside a validator into a 400, never a 500', async () => {
    // validator.js's isEmail throws URIError on a lone surrogate.
    expect(() => isEmail('\ud800@example.com')).toThrow(URIError);
    const pipe = createValidationPipe();
    for (const metadata of [
      { type: 'body', metatype: EmailBody },
      { type: 'query', metatype: EmailBody },
    ] as ArgumentMetadata[]) {
      const error = (await Promise.resolve(pipe.transform({ email: '\ud800@example.com' }, metadata)).catch(
        (e: unknown) => e,
      )) as BadRequestException;
      expect(error).toBeInstanceOf(BadRequestException);
      expect((error.getResponse() as { message: string[] }).message).toEqual([`${metadata.type}: could not be validated`]);
    }
    const ok = await pipe.transform({ email: 'a@example.com' }, { type: 'body', metatype: EmailBody });
    expect(ok).toEqual(Object.assign(new EmailBody(), { email: 'a@example.com' }));
  });

  it('passes custom-decorator values through synchronously and converts primitive params', () => {
    const pipe = createValidationPipe();
    const user = { id: 'u1' };
    expect(pipe.transform(user, { type: 'custom', metatype: Object })).toBe(user);
    expect(pipe.transform('42', { type: 'param', metatype: Number, data: 'n' })).toBe(42);
    expect(pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe('abc');
  });
});
