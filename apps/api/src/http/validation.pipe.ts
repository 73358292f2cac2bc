import {
  BadRequestException,
  HttpException,
  ValidationPipe,
  type ArgumentMetadata,
  type PipeTransform,
  type ValidationError,
} from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { plainlyValid, plainlyValidQuery } from './plainly-valid.js';

/** Flattens nested class-validator errors into `path: reason` lines naming every offending field. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => `${path}: ${stripPropertyName(reason, error.property)}`);
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

// class-validator messages start with the property name ("email must be an email").
function stripPropertyName(reason: string, property: string): string {
  return reason.startsWith(`${property} `) ? reason.slice(property.length + 1) : reason;
}

/** ValidationPipe, with its own "is there anything to validate?" test and primitive conversion exposed. */
class Validation extends ValidationPipe {
  validates(metadata: ArgumentMetadata): boolean {
    return metadata.metatype !== undefined && this.toValidate(metadata);
  }

  primitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return this.transformPrimitive(value, metadata);
  }
}

/**
 * Keys class-transformer drops without a word when it builds a DTO: those the DTO instance
 * inherits from Object.prototype (`constructor`, `toString`, `__proto__`, ...) and `prototype`.
 * The whitelist never sees them, so they would be silently ignored instead of refused as unknown.
 */
const DROPPED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
const MAX_DROPPED_KEY_PROBLEMS = 20;

/** `path: property key should not exist` (the whitelist's wording) for each such key in a plain value, at any depth. */
export function droppedKeyProblems(value: unknown): string[] {
  const problems: string[] = [];
  const pending: { node: unknown; path: string }[] = [{ node: value, path: '' }];
  for (let next = pending.pop(); next !== undefined && problems.length < MAX_DROPPED_KEY_PROBLEMS; next = pending.pop()) {
    const { node, path } = next;
    if (typeof node !== 'object' || node === null) continue;
    const prefix = path ? `${path}.` : '';
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) pending.push({ node: node[i], path: `${prefix}${i}` });
      continue;
    }
    for (const key of Object.keys(node)) {
      if (DROPPED_KEYS.has(key)) problems.push(`${prefix}${key}: property ${key} should not exist`);
      else pending.push({ node: (node as Record<string, unknown>)[key], path: `${prefix}${key}` });
    }
  }
  return problems;
}

/** Validated query DTOs kept per DTO class; query strings longer than this are not kept. */
const QUERY_MEMO_ENTRIES = 1_000;
const QUERY_MEMO_MAX_KEY = 512;

/**
 * The global pipe: ValidationPipe (whitelist, reject unknown fields, transform to DTO instances,
 * field-naming errors) for everything a request carries, with two shortcuts for hot reads:
 * - parameters with no DTO to validate (@CurrentUser(), a string path id) get ValidationPipe's own
 *   treatment, but synchronously: ValidationPipe.transform is async, and its promise turns on every
 *   request were a measurable share of a cached read;
 * - query DTOs: the same query string is asked by many clients (a catalog page), and validation is
 *   a pure function of it, so the validated DTO is kept (frozen: it is shared) in a small LRU per
 *   DTO class. Invalid queries are not kept;
 * - body DTOs marked @PlainlyValidWhen (query DTOs: @PlainlyValidQueryWhen): a value that passes the
 *   mark's cheap test becomes the DTO without class-transformer/class-validator (a query before the
 *   memo: nothing to keep for it); any other value is validated in full.
 */
class AppValidationPipe implements PipeTransform {
  private readonly queries = new Map<unknown, LRUCache<string, Promise<unknown>>>();

  constructor(private readonly validation: Validation) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!this.validation.validates(metadata)) return this.validation.primitive(value, metadata);
    if (metadata.type === 'body') return plainlyValid(metadata.metatype, value) ?? this.validate(value, metadata);
    if (metadata.type !== 'query') return this.validate(value, metadata);
    const plain = plainlyValidQuery(metadata.metatype, value);
    if (plain !== undefined) return plain;
    const key = JSON.stringify(value) ?? '';
    if (key.length > QUERY_MEMO_MAX_KEY) return this.validate(value, metadata);
    let memo = this.queries.get(metadata.metatype);
    if (memo === undefined) this.queries.set(metadata.metatype, (memo = new LRUCache({ max: QUERY_MEMO_ENTRIES })));
    const known = memo.get(key);
    if (known !== undefined) return known;
    const validated = this.validate(value, metadata).then((dto: unknown) => Object.freeze(dto));
    memo.set(key, validated);
    validated.catch(() => memo.delete(key));
    return validated;
  }

  /**
   * ValidationPipe, where anything a transformer or validator throws (validator.js's isEmail
   * throws URIError on a lone surrogate; a cyclic or very deep value overflows the stack) is the
   * client's invalid input: 400 naming the argument, never a 500.
   */
  private validate(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    let result: Promise<unknown>;
    const dropped = metadata.type === 'body' || metadata.type === 'query' ? droppedKeyProblems(value) : [];
    if (dropped.length) return Promise.reject(new BadRequestException(dropped));
    try {
      result = this.validation.transform(value, metadata);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever the pipe threw, mapped by the catch below
      result = Promise.reject(error);
    }
    return result.catch((error: unknown) => {
      if (error instanceof HttpException) throw error;
      throw new BadRequestException([`${metadata.data ?? metadata.type}: could not be validated`]);
    });
  }
}

export function createValidationPipe(): PipeTransform {
  return new AppValidationPipe(
    new Validation({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new BadRequestException(describeValidationErrors(errors)),
    }),
  );
}
