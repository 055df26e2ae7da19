import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { bindArgs, InvalidParams, validateParams } from './binding.js';
import { anonymous, method, signature } from './method.js';

class P {
  @IsString() basetag!: string;
  @IsBoolean() debuginfo!: boolean;
  @IsOptional() @IsString() suffix?: string | null;
}
const createSideTag = method({
  name: 'createSideTag',
  summary: 's',
  access: anonymous,
  args: ['basetag', ['debuginfo', false], ['suffix', null]],
  params: P,
  result: {},
});
const runroot = method({
  name: 'runroot',
  summary: 's',
  access: anonymous,
  args: ['tagInfo', 'arch', 'command', ['channel', null]],
  starstar: 'opts',
  params: P,
  result: {},
});

const fails = (f: () => unknown, message: string) =>
  assert.throws(
    f,
    (e: unknown) => e instanceof InvalidParams && e.faultName === 'ParameterError' && e.message === message,
  );

test("binding follows Python's call rules and TypeError texts", () => {
  assert.equal(signature(createSideTag), 'createSideTag(basetag, debuginfo=False, suffix=None)');
  assert.equal(signature(runroot), 'runroot(tagInfo, arch, command, channel=None, **opts)');
  assert.deepEqual(bindArgs(createSideTag, ['f40'], {}), { basetag: 'f40', debuginfo: false, suffix: null });
  assert.deepEqual(bindArgs(createSideTag, ['f40'], { suffix: 'x' }), {
    basetag: 'f40',
    debuginfo: false,
    suffix: 'x',
  });
  assert.deepEqual(bindArgs(createSideTag, [], { basetag: 'f40', debuginfo: true }), {
    basetag: 'f40',
    debuginfo: true,
    suffix: null,
  });
  fails(
    () => bindArgs(createSideTag, [], {}),
    "createSideTag() missing 1 required positional argument: 'basetag'",
  );
  fails(
    () => bindArgs(runroot, ['t'], {}),
    "runroot() missing 2 required positional arguments: 'arch' and 'command'",
  );
  fails(
    () => bindArgs(createSideTag, ['a', true, 'x', 4], {}),
    'createSideTag() takes from 1 to 3 positional arguments but 4 were given',
  );
  fails(
    () => bindArgs(createSideTag, ['a'], { nope: 1 }),
    "createSideTag() got an unexpected keyword argument 'nope'",
  );
  fails(
    () => bindArgs(createSideTag, ['a'], { basetag: 'b' }),
    "createSideTag() got multiple values for argument 'basetag'",
  );
  assert.deepEqual(bindArgs(runroot, ['t', 'x86_64', 'ls'], { packages: ['a'], weight: 2 }), {
    tagInfo: 't',
    arch: 'x86_64',
    command: 'ls',
    channel: null,
    opts: { packages: ['a'], weight: 2 },
  });
});

test('validation names the parameter and why', async () => {
  await assert.rejects(
    validateParams(createSideTag, { basetag: 5, debuginfo: false, suffix: null }),
    (e: unknown) =>
      e instanceof InvalidParams && e.param === 'basetag' && /basetag must be a string/.test(e.message),
  );
  const ok = await validateParams(createSideTag, { basetag: 'f40', debuginfo: true, suffix: null });
  assert.ok(ok instanceof P);
});
