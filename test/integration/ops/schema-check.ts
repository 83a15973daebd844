/**
 * A small checker for the JSON-schema subset our OpenAPI document uses (type, nullable, required,
 * properties, additionalProperties: false, items, enum, format date-time). Returns the problems
 * found, each with its path, so a failing contract test says exactly which field broke.
 */
export type Schema = {
  type?: string | string[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
};

export function checkShape(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf)!;
    return options.some((s) => checkShape(value, s, path).length === 0)
      ? []
      : [`${path}: matches no alternative`];
  }
  if (value === null) {
    const types = ([] as string[]).concat(schema.type ?? []);
    return schema.nullable || types.includes('null') || types.length === 0
      ? []
      : [`${path}: null not allowed`];
  }
  const problems: string[] = [];
  const types = ([] as string[]).concat(schema.type ?? []).filter((t) => t !== 'null');
  if (types.length > 0 && !types.some((t) => isType(value, t))) {
    return [
      `${path}: expected ${types.join('|')}, got ${Array.isArray(value) ? 'array' : typeof value}`,
    ];
  }
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${path}: ${String(value)} not in enum`);
  if (
    schema.format === 'date-time' &&
    typeof value === 'string' &&
    Number.isNaN(Date.parse(value))
  ) {
    problems.push(`${path}: not a date-time`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => problems.push(...checkShape(v, schema.items!, `${path}[${i}]`)));
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) problems.push(`${path}.${k}: missing`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) problems.push(...checkShape(v, sub, `${path}.${k}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${k}: not documented`);
    }
  }
  return problems;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === t;
  }
}
