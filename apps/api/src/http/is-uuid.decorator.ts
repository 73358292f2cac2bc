import { Matches } from 'class-validator';
import { UUID_PATTERN } from '@app/common';

/** A body or query field that must be a UUID (the one pattern the API accepts anywhere). */
export const IsUuid = (): PropertyDecorator => Matches(UUID_PATTERN, { message: 'must be a UUID' });
