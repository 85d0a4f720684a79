import { Problem, problemTypeBase } from './problem.ts';

/** What each status means for a client, for responses a route documents without saying. */
const meanings: Record<string, string> = {
  200: 'OK',
  201: 'Created: the new resource, its URL in Location',
  202: 'Accepted: the work continues asynchronously; read the resource for its outcome',
  204: 'Done, nothing to return',
  400: 'Validation failed (problem+json): `errors[]` names each field, the schema keyword it broke and the keyword’s params',
  401: 'No valid bearer token (problem+json): sign in with POST /api/v1/auth/login and send `Authorization: Bearer <accessToken>`',
  403: 'Signed in but not allowed (problem+json): this operation is for staff accounts',
  404: 'Not found (problem+json), or not visible to this caller',
  409: 'Conflict with the current state (problem+json); `detail` says which',
  413: 'Request body larger than the limit (problem+json)',
  415: 'Content type not accepted (problem+json): send application/json',
  422: 'Understood but refused by a business rule (problem+json); `detail` says which',
  429: 'Too many requests (problem+json): wait the Retry-After seconds',
  502: 'An upstream service could not be reached (problem+json)',
  503: 'Unavailable for a moment (problem+json): send it again after Retry-After seconds; nothing was stored',
};

const examples: Record<string, Record<string, unknown>> = {
  400: {
    type: `${problemTypeBase}validation-failed`,
    title: 'Validation failed',
    status: 400,
    detail: 'Invalid request body: name must NOT have more than 200 characters',
    errors: [{ field: 'name', message: 'must NOT have more than 200 characters', keyword: 'maxLength', params: { limit: 200 } }],
  },
  401: { type: `${problemTypeBase}unauthorized`, title: 'Unauthorized', status: 401, detail: 'missing bearer token' },
  403: { type: `${problemTypeBase}forbidden`, title: 'Forbidden', status: 403, detail: 'staff only' },
  404: { type: `${problemTypeBase}not-found`, title: 'Not found', status: 404, detail: 'not found' },
  409: { type: `${problemTypeBase}conflict`, title: 'Conflict', status: 409, detail: 'conflicts with the current state' },
  422: { type: `${problemTypeBase}unprocessable`, title: 'Unprocessable', status: 422, detail: 'refused by a business rule' },
  413: { type: `${problemTypeBase}payload-too-large`, title: 'Payload too large', status: 413, detail: 'request body larger than 1048576 bytes' },
  415: { type: `${problemTypeBase}unsupported-media-type`, title: 'Unsupported media type', status: 415, detail: 'send application/json' },
  429: { type: `${problemTypeBase}too-many-requests`, title: 'Too many requests', status: 429, detail: 'retry in 30 s' },
  502: { type: `${problemTypeBase}bad-gateway`, title: 'Bad gateway', status: 502, detail: 'an upstream service could not be reached' },
  503: { type: `${problemTypeBase}overloaded`, title: 'Service unavailable', status: 503, detail: 'please try again in a moment' },
};

/** The problem+json body every service answers with, as documented when a route names no schema of its own. */

/** Descriptions the tools write when a route says nothing. */
const placeholders = new Set(['Default Response', 'RFC 9457 problem details']);

/**
 * Fills in what a route's documented responses leave out: a description per status (never OpenAPI's
 * "Default Response") and, for problems, an example body. A route's own words and examples win.
 */
export function documentResponses(response: Record<string, any>): Record<string, any> {
  const documented: Record<string, any> = {};
  for (const [status, schema] of Object.entries(response)) {
    const own = typeof schema?.description === 'string' && !placeholders.has(schema.description) ? schema.description : undefined;
    const problem = Number(status) >= 400;
    const description = own ?? meanings[status] ?? (problem ? 'Problem details (RFC 9457)' : 'OK');
    // A problem documented by its words only gets the problem+json shape every service answers with.
    const shape = problem && !schema?.type && !schema?.properties && !schema?.$ref ? Problem : {};
    const example = problem && !schema?.examples ? examples[status] : undefined;
    documented[status] = { ...shape, ...schema, description, ...(example ? { examples: [example] } : {}) };
  }
  return documented;
}
