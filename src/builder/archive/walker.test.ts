import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setDeviceNumbers, splitDev } from './walker.js';

test("device numbers split as glibc's major()/minor() (Python's os.major/os.minor)", () => {
  const makedev = (major: bigint, minor: bigint) =>
    ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  for (const [ma, mi] of [
    [1, 3],
    [7, 0],
    [240, 300_000],
    [4095, 1_048_575],
    [259, 65_536],
  ] as const)
    assert.deepEqual(splitDev(makedev(BigInt(ma), BigInt(mi))), { major: ma, minor: mi });
  // The brief's formula for the common case: major = (rdev >> 8) & 0xfff, minor = low byte | bits 20+.
  assert.deepEqual(splitDev(0x103n), { major: 1, minor: 3 });
});

test('setDeviceNumbers writes 7 octal digits and a checksum GNU tar accepts', () => {
  const block = Buffer.alloc(512);
  block.write('dev/odd', 0);
  block.write('ustar\x0000', 257, 'latin1');
  setDeviceNumbers(block, 240, 300_000);
  assert.equal(block.toString('latin1', 329, 337), '0000360\0');
  assert.equal(block.toString('latin1', 337, 345), `${(300_000).toString(8)}\0`);
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i];
  assert.equal(parseInt(block.toString('latin1', 148, 154), 8), sum);
  assert.throws(() => setDeviceNumbers(block, 1, 0o10000000));
});
