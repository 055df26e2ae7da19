import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localPath } from './web-context.js';

test('localPath keeps paths on this hub and refuses everything that could leave it', () => {
  assert.equal(localPath('/koji/taskinfo?taskID=5'), '/koji/taskinfo?taskID=5');
  assert.equal(localPath('/koji/sidetags?user=a#top'), '/koji/sidetags?user=a#top');
  assert.equal(localPath('/koji/../files/x'), '/files/x');
  for (const bad of [
    null,
    '',
    'koji/taskinfo',
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/koji/\r\nLocation: https://evil.example',
    '/koji/\tx',
    `/${'a'.repeat(3000)}`,
  ])
    assert.equal(localPath(bad), null, JSON.stringify(bad));
});
