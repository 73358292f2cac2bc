import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { isUuid } from '@app/common';

/** Path ids: a malformed one is a 400 naming the parameter; returned lower-cased (one cache key per id). */
@Injectable()
export class ParseUuidPipe implements PipeTransform<unknown, string> {
  constructor(private readonly field = 'id') {}

  transform(value: unknown): string {
    if (isUuid(value)) return value.toLowerCase();
    throw new BadRequestException([`${this.field}: must be a UUID`]);
  }
}
