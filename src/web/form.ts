import type { Request } from 'express';
import { readBody } from '../rpc/body.js';

/** A login form is a few hundred bytes; anything near this is not one. */
export const FORM_LIMIT = 16 * 1024;

export class UnsupportedForm extends Error {}

/** The urlencoded body of a form POST (the app parses no bodies itself), refused past FORM_LIMIT. */
export async function readForm(req: Request): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new UnsupportedForm(
      `expected an application/x-www-form-urlencoded form, not ${type || 'no body type'}`,
    );
  }
  return new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'));
}
