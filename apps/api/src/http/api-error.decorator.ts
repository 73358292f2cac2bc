import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { ErrorBody } from '@app/common';

/**
 * One documented error answer with an example of its own status and message (the ErrorBody
 * schema's own example is a 400), so Swagger UI and generated clients show what is really sent.
 */
export const ApiError = (status: number, description: string, message: string | string[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiExtraModels(ErrorBody),
    ApiResponse({
      status,
      description,
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(ErrorBody) },
          example: { statusCode: status, error: STATUS_CODES[status], message, requestId: '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11' },
        },
      },
    }),
  );
