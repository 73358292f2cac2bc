import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
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
      expect(message).toEqual(expect.arrayContaining([expect.stringMatching(/^limit: /), expect.stringMatching(/^sort: /), expect.stringMatching(/^extra: /)]));
    }
  });

  it('passes custom-decorator values through synchronously and converts primitive params', () => {
    const pipe = createValidationPipe();
    const user = { id: 'u1' };
    expect(pipe.transform(user, { type: 'custom', metatype: Object })).toBe(user);
    expect(pipe.transform('42', { type: 'param', metatype: Number, data: 'n' })).toBe(42);
    expect(pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe('abc');
  });
});
