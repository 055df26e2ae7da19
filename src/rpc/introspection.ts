import { Injectable, type OnModuleInit } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { getMetadataStorage } from 'class-validator';
import { KOJI_API_VERSION, KOJI_VERSION } from '../version.js';
import { accessText, anonymous, method, signature, type JsonSchema, type MethodDecl } from './method.js';
import { MethodRegistry } from './registry.js';

class NoParams {}
class MethodNameParams {
  @IsString() @Length(1, 200) method!: string;
}

export const hello = method({
  name: 'hello',
  summary: 'Answers "Hello World" (a connectivity check, as Koji)',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'string' },
});
export const getAPIVersion = method({
  name: 'getAPIVersion',
  summary: "Koji's API version (1)",
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'integer' },
});
export const getKojiVersion = method({
  name: 'getKojiVersion',
  summary: 'The Koji version this hub is compatible with, as dotted integers',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'string' },
});
export const listApi = method({
  name: '_listapi',
  summary: 'Every API method: name, doc, args (what `koji list-api` prints)',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'array', items: { type: 'object' } },
});
export const listMethods = method({
  name: 'system.listMethods',
  summary: 'The names of every API method',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'array', items: { type: 'string' } },
});
export const methodHelp = method({
  name: 'system.methodHelp',
  summary: "A method's signature and description",
  access: anonymous,
  args: ['method'],
  params: MethodNameParams,
  result: { type: 'string' },
});
export const discover = method({
  name: 'rpc.discover',
  summary: 'The OpenRPC document of this API',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'object' },
});

export const introspectionContract = [
  hello,
  getAPIVersion,
  getKojiVersion,
  listApi,
  listMethods,
  methodHelp,
  discover,
];

/** The doc text of a method: its summary and who may call it. */
export function docOf(d: MethodDecl): string {
  return `${d.summary}. Access: ${accessText(d.access)}.`;
}

/** Koji's _listapi entry: `args` holds names or [name, default] pairs, as the koji CLI expects. */
export function listApiEntry(d: MethodDecl) {
  const args: unknown[] = d.args.map((a) => (a.hasDefault ? [a.name, a.default ?? null] : a.name));
  const sig = signature(d);
  return {
    name: d.name,
    doc: docOf(d),
    argspec: null,
    argdesc: sig.slice(d.name.length),
    args,
    varkw: d.starstar,
  };
}

const CONSTRAINT_SCHEMA: Record<string, JsonSchema> = {
  isString: { type: 'string' },
  isInt: { type: 'integer' },
  isNumber: { type: 'number' },
  isBoolean: { type: 'boolean' },
  isObject: { type: 'object' },
  isArray: { type: 'array' },
  isIdOrName: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }, { type: 'object' }] },
};

/** A parameter's JSON schema, read from its class-validator decorators. */
export function paramSchema(d: MethodDecl, name: string): JsonSchema {
  const metas = getMetadataStorage()
    .getTargetValidationMetadatas(d.params, '', true, false)
    .filter((m) => m.propertyName === name);
  let schema: JsonSchema = {};
  for (const m of metas) {
    const key = (m.name ?? m.constraintCls?.name ?? '').replace(/^./, (c) => c.toLowerCase());
    if (CONSTRAINT_SCHEMA[key]) schema = { ...schema, ...CONSTRAINT_SCHEMA[key] };
    if (m.name === 'isIn' && Array.isArray(m.constraints?.[0]))
      schema = { ...schema, enum: m.constraints[0] as unknown[] };
    if (m.type === 'nestedValidation') schema = { ...schema, type: 'object' };
  }
  const nullable = metas.some((m) => m.type === 'conditionalValidation');
  return nullable && Object.keys(schema).length ? { oneOf: [schema, { type: 'null' }] } : schema;
}

export function openRpcDocument(methods: MethodDecl[]) {
  return {
    openrpc: '1.2.6',
    info: {
      title: 'koji-es',
      version: KOJI_VERSION,
      description: "Koji's Sidetag, Runroot and Save Failed Tree hub API",
    },
    methods: methods.map((d) => ({
      name: d.name,
      summary: d.summary,
      description: docOf(d),
      paramStructure: 'either',
      params: d.args.map((a) => ({
        name: a.name,
        required: !a.hasDefault,
        schema: paramSchema(d, a.name),
      })),
      result: { name: 'result', schema: d.result },
    })),
  };
}

/** Introspection answers straight from the registry: nothing here is written by hand twice. */
@Injectable()
export class IntrospectionApi implements OnModuleInit {
  constructor(private readonly registry: MethodRegistry) {}

  onModuleInit(): void {
    const r = this.registry;
    r.implement(hello, async () => 'Hello World');
    r.implement(getAPIVersion, async () => KOJI_API_VERSION);
    r.implement(getKojiVersion, async () => KOJI_VERSION);
    r.implement(listApi, async () => r.list().map(listApiEntry));
    r.implement(listMethods, async () => r.list().map((d) => d.name));
    r.implement<MethodNameParams>(methodHelp, async (p) => {
      const d = r.decl(p.method);
      return d ? `${signature(d)}\ndescription: ${docOf(d)}` : '';
    });
    r.implement(discover, async () => openRpcDocument(r.list()));
  }
}
