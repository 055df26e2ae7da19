import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { pyShort } from '../kernel/python.js';

/** Koji's "info" arguments: an id, a name, or a dict with `id` or `name`. */
export function IsIdOrName(options?: ValidationOptions & { dict?: boolean }) {
  return ValidateBy(
    {
      name: 'isIdOrName',
      validator: {
        validate(v: unknown) {
          if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0;
          if (typeof v === 'string') return v.length > 0 && v.length <= 1024;
          if (options?.dict !== false && v && typeof v === 'object' && !Array.isArray(v)) {
            const o = v as Record<string, unknown>;
            return (
              (typeof o.id === 'number' && o.id > 0) || (typeof o.name === 'string' && o.name.length > 0)
            );
          }
          return false;
        },
        defaultMessage: (a) => {
          const v: unknown = a?.value;
          if (v === '')
            return `${a?.property} must not be empty: give an id, a name, or a struct with id or name`;
          if (typeof v === 'string')
            return `${a?.property} is too long: a name has at most 1024 characters, got ${v.length}`;
          return `${a?.property} must be an id (a positive integer), a name, or a struct with id or name, got ${pyShort(v)}`;
        },
      },
    },
    options,
  );
}

/** A Koji "None or a value" argument: null passes, other values go through the other decorators. */
export const Nullable = () => IsOptional();

/** Koji's queryOpts: {countOnly, order, offset, limit}. */
export class QueryOpts {
  @IsOptional() @IsBoolean() countOnly?: boolean;
  @IsOptional()
  @IsString()
  @Matches(/^-?[A-Za-z_][A-Za-z0-9_.]*(\s*,\s*-?[A-Za-z_][A-Za-z0-9_.]*)*$/, {
    message: 'order must be field names separated by commas, each optionally prefixed with -',
  })
  order?: string;
  @IsOptional() @IsInt() @Min(0) offset?: number;
  @IsOptional() @IsInt() @Min(0) limit?: number;
  @IsOptional() @IsBoolean() asList?: boolean;
}

export const QueryOptsType = () => Type(() => QueryOpts);

export type IdOrName = number | string | { id?: number; name?: string };
