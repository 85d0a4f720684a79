import { STATUS_CODES } from 'node:http';
import { Type } from 'typebox';

export const problemTypeBase = 'https://meridian.dev/problems/';

export interface FieldError {
  field: string;
  /** The validator's English, e.g. `must NOT have more than 200 characters`. */
  message: string;
  /** The schema keyword that failed (`maxLength`, `format`, `required`…), for clients that word it themselves. */
  keyword?: string;
  /** The keyword's parameters, e.g. `{ limit: 200 }` or `{ format: 'uuid' }`. */
  params?: Record<string, unknown>;
}

/** An RFC 9457 problem details body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The schema of `ProblemDetails`, for the error responses of every route's OpenAPI description. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String(),
          message: Type.String(),
          keyword: Type.Optional(Type.String()),
          params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        }),
      ),
    ),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

/**
 * An error that becomes a problem+json response: `type` = problemTypeBase + slug, `title` from the
 * slug, plus `detail` and any extension members in `extra`.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly detail: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, slug: string, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.slug = slug;
    this.detail = detail;
    this.extra = extra;
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      ...this.extra,
      type: problemTypeBase + this.slug,
      title: titleFor(this.slug),
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
    };
  }
}

/**
 * A refusal under load: 503 `overloaded` with `Retry-After` (seconds), problem+json. Expected, so it is
 * logged as one line without a stack. Throw it before doing the work it refuses.
 */
export class OverloadedProblem extends HttpProblem {
  readonly retryAfterSeconds: number;
  constructor(detail: string, retryAfterSeconds = 1) {
    super(503, 'overloaded', detail, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function overloaded(detail: string, retryAfterSeconds = 1): OverloadedProblem {
  return new OverloadedProblem(detail, retryAfterSeconds);
}

/** `throw problem(404, 'order-not-found', 'No order 42')` */
export function problem(status: number, slug: string, detail: string, extra?: Record<string, unknown>): HttpProblem {
  return new HttpProblem(status, slug, detail, extra);
}

/** The slug for a bare HTTP status, e.g. 415 → `unsupported-media-type`, 500 → `internal-error`. */
export function slugForStatus(status: number): string {
  if (status === 500) return 'internal-error';
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function titleFor(slug: string): string {
  const words = slug.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

interface SchemaValidationError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Turns schema validation errors (TypeBox's, as Fastify reports them) into `{ field, message }`,
 * naming fields by dotted path (`items.0.quantity`), or by the request part when the whole part
 * is wrong. A union's own error replaces the per-branch noise for that field.
 */
export function fieldErrors(errors: SchemaValidationError[], part = 'body'): FieldError[] {
  const byField = new Map<string, { keyword: string; message: string; params?: Record<string, unknown> }[]>();
  const add = (field: string, keyword: string, message: string, params?: Record<string, unknown>) => {
    byField.set(field, [...(byField.get(field) ?? []), { keyword, message, params }]);
  };
  for (const error of errors) {
    const path = error.instancePath.split('/').slice(1).map(decodePointer);
    if (error.keyword === 'required' && Array.isArray(error.params.requiredProperties)) {
      for (const property of error.params.requiredProperties as string[]) {
        add([...path, property].join('.'), 'required', 'is required');
      }
    } else if (error.keyword === 'additionalProperties' && Array.isArray(error.params.additionalProperties)) {
      for (const property of error.params.additionalProperties as string[]) {
        add([...path, property].join('.'), 'additionalProperties', 'is not allowed');
      }
    } else {
      add(path.length > 0 ? path.join('.') : part, error.keyword, error.message ?? 'is invalid', error.params);
    }
  }
  const result: FieldError[] = [];
  for (const [field, list] of byField) {
    const union = list.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    // An extra property is also checked against `false` ("schema is false"): the first error says it.
    const extra = list.some((e) => e.keyword === 'additionalProperties');
    const kept = union.length > 0 ? union : extra ? list.filter((e) => e.keyword !== 'boolean') : list;
    for (const { keyword, message, params } of kept) {
      if (result.some((r) => r.field === field && r.message === message)) continue;
      result.push({ field, message, keyword, ...(params && Object.keys(params).length > 0 ? { params } : {}) });
    }
  }
  return result;
}

function decodePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: SchemaValidationError[];
  validationContext?: string;
}

/**
 * PostgreSQL refusing text the request carried: a NUL character (`\u0000`, which JSON and query
 * strings can hold and PostgreSQL text cannot) or a character the database encoding lacks.
 */
const rejectedTextCodes = new Set(['22021', '22P05']);

/**
 * The problem for any thrown value: HttpProblem as is, validation → 400, text the database refuses → 400,
 * 4xx errors keep their message, anything else → 500 without internals.
 */
export function toProblem(error: unknown, instance?: string): ProblemDetails {
  if (error instanceof HttpProblem) return error.toProblem(instance);
  const e = (error ?? {}) as ErrorLike;
  if (Array.isArray(e.validation)) {
    const errors = fieldErrors(e.validation, e.validationContext);
    return {
      type: problemTypeBase + 'validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: `Invalid request ${e.validationContext ?? 'input'}: ${errors.map((x) => `${x.field} ${x.message}`).join('; ')}`,
      ...(instance ? { instance } : {}),
      errors,
    };
  }
  if (e.name === 'PostgresError' && typeof e.code === 'string' && rejectedTextCodes.has(e.code)) {
    return new HttpProblem(400, 'bad-request', 'Text in the request contains a character that cannot be stored (such as NUL, \\u0000).').toProblem(instance);
  }
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 500;
  const detail = status < 500 && typeof e.message === 'string' ? e.message : 'An unexpected error occurred.';
  return new HttpProblem(status, slugForStatus(status), detail).toProblem(instance);
}
