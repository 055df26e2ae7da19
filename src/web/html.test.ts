import assert from 'node:assert/strict';
import { test } from 'node:test';
import { html, trusted } from './html.js';

test('html escapes every value, joins arrays, drops null, undefined and false', () => {
  const name = `<script>alert('x')</script> & "q"`;
  assert.equal(
    html`<b title="${name}">${name}</b>`.text,
    '<b title="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;">' +
      '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</b>',
  );
  assert.equal(html`${['<a>', 1, html`<i>${'<'}</i>`]}`.text, '&lt;a&gt;1<i>&lt;</i>');
  assert.equal(html`[${null}${undefined}${false}${0}${true}]`.text, '[0true]');
  assert.equal(html`${trusted('<hr>')}`.text, '<hr>');
});
