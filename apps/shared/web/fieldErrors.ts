// Validation problems in words a person understands: one wording per schema keyword, never the
// validator's own text. Shared by the web apps; no side effects on import.

/** One entry of a problem+json `errors[]` as the services send it. */
export interface FieldProblem {
  field: string;
  message: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** How a field is called on the form, by its path in the request (`items.0.quantity` → `items.*.quantity`). */
export type FieldLabels = Record<string, string>;

const formats: Record<string, string> = {
  uuid: 'is not a valid identifier',
  email: 'is not a valid email address',
  currency: 'is not an ISO 4217 currency code (for example EUR, USD or GBP)',
  'date-time': 'is not a valid date and time',
  uri: 'is not a valid web address',
};

/** Patterns the services use, with what they mean. */
const patterns: Record<string, string> = {
  '\\S': 'cannot be blank',
  '^[0-9]+$': 'must be digits only',
};

const number = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en') : String(value));

/** `priceCents` → `Price cents`; `items.0.quantity` → `Quantity`. */
export function humanizeField(field: string): string {
  const last = field.split('.').filter((part) => !/^\d+$/.test(part)).pop() ?? field;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label for `field`: exact path, then the path with list indexes as `*`, then the words of its name. */
export function labelOf(field: string, labels: FieldLabels = {}): string {
  return labels[field] ?? labels[field.replace(/\.\d+(?=\.|$)/g, '.*')] ?? humanizeField(field);
}

/** What the keyword means for the field, without the label: `can be at most 200 characters long`. */
function predicate({ keyword, params = {}, message }: FieldProblem): string {
  const limit = params.limit;
  switch (keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not accepted here';
    case 'minLength':
      return limit === 1 ? 'cannot be empty' : `needs at least ${number(limit)} characters`;
    case 'maxLength':
      return `can be at most ${number(limit)} characters long`;
    case 'minimum':
      return `must be at least ${number(limit)}`;
    case 'exclusiveMinimum':
      return `must be more than ${number(limit)}`;
    case 'maximum':
      return `can be at most ${number(limit)}`;
    case 'exclusiveMaximum':
      return `must be less than ${number(limit)}`;
    case 'multipleOf':
      return `must be a multiple of ${number(params.multipleOf)}`;
    case 'minItems':
      return limit === 1 ? 'needs at least one entry' : `needs at least ${number(limit)} entries`;
    case 'maxItems':
      return `can have at most ${number(limit)} entries`;
    case 'uniqueItems':
      return 'lists the same entry twice';
    case 'minProperties':
      return 'needs at least one change';
    case 'format':
      return formats[String(params.format)] ?? `is not a valid ${String(params.format)}`;
    case 'pattern':
      return patterns[String(params.pattern)] ?? 'contains characters that are not allowed';
    case 'type':
      return params.type === 'integer' ? 'must be a whole number' : params.type === 'number' ? 'must be a number' : 'has the wrong kind of value';
    case 'enum':
    case 'const':
    case 'anyOf':
    case 'oneOf':
      return 'is not one of the accepted values';
    default:
      // A message a service wrote for people (e.g. `must list at most 100 ids`) reads fine as it is.
      return keyword ? 'is not valid' : message;
  }
}

/** `Name can be at most 200 characters long.` */
export function sentenceFor(problem: FieldProblem, labels: FieldLabels = {}): string {
  return `${labelOf(problem.field, labels)} ${predicate(problem)}.`;
}

/** The sentences about `field` (and what lies below it) among `problems`. */
export function sentencesFor(problems: FieldProblem[], field: string, labels: FieldLabels = {}): string[] {
  return problems.filter((p) => p.field === field || p.field.startsWith(`${field}.`)).map((p) => sentenceFor(p, labels));
}
