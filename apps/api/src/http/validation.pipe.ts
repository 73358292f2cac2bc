import { BadRequestException, ValidationPipe, type ArgumentMetadata, type PipeTransform, type ValidationError } from '@nestjs/common';

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
 * The global pipe: ValidationPipe (whitelist, reject unknown fields, transform to DTO instances,
 * field-naming errors) for everything a request carries. Parameters with no DTO to validate
 * (@CurrentUser(), a string path id) get ValidationPipe's own treatment, but synchronously:
 * ValidationPipe.transform is async, and its promise turns on every request were a measurable share
 * of a cached read.
 */
class AppValidationPipe implements PipeTransform {
  constructor(private readonly validation: Validation) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!this.validation.validates(metadata)) return this.validation.primitive(value, metadata);
    return this.validation.transform(value, metadata);
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
