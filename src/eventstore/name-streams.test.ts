import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameStream } from './name-streams.js';
import { assertStreamName } from './validation.js';

test('a name that fits a stream name is its own suffix, as in every log written before', () => {
  for (const [kind, name] of [
    ['tagname', 'f40-build'],
    ['username', 'kojiadmin@EXAMPLE.COM'],
    ['nvr', 'bash-5.2.26-3.fc40'],
    ['package', 'python3-foo_bar+baz'],
    ['permission', 'runroot'],
    ['hostname', 'builder-01.example.com'],
    ['tagname', 'x'.repeat(200 - 'tagname-'.length)],
    ['tagname', ''],
  ])
    assert.equal(nameStream(kind, name), `${kind}-${name}`);
});

test('names the store cannot hold as they are get a valid, deterministic, distinct stream', () => {
  const names = [
    'x'.repeat(193),
    'x'.repeat(251),
    'x'.repeat(9_000_000).slice(0, 100_000),
    'pkg~x',
    'pkg^x',
    'foo-1.0~x-1',
    'foo-1.0^git1-1',
    'bad host!',
    'ünïcode',
    '\ud800',
    '\udc00',
  ];
  const streams = names.map((n) => nameStream('tagname', n));
  for (const s of streams) {
    assertStreamName(s);
    assert.match(s, /^tagname-=[0-9a-f]{64}$/);
  }
  assert.equal(new Set(streams).size, names.length);
  assert.deepEqual(
    names.map((n) => nameStream('tagname', n)),
    streams,
  );
});

test('a name of the encoded form is encoded again, so it cannot take another name’s stream', () => {
  const long = 'y'.repeat(300);
  const encoded = nameStream('tagname', long).slice('tagname-'.length);
  const s = nameStream('tagname', encoded);
  assert.notEqual(s, `tagname-${encoded}`);
  assert.notEqual(s, nameStream('tagname', long));
  assertStreamName(s);
});

test('the limit counts the kind: one name fits under a short kind and not under a long one', () => {
  const name = 'z'.repeat(192);
  assert.equal(nameStream('nvr', name), `nvr-${name}`);
  assert.match(nameStream('targetname', name), /^targetname-=/);
});
