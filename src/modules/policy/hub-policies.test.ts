import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '../../config/hub-config.js';
import { KojiError } from '../../kernel/errors.js';
import { compileHubPolicies, unusedPolicyWarnings } from './hub-policies.js';

/** `[policy]` from a real hub.conf, loaded as the hub loads it. */
function withPolicies(policy: string, fn: (c: ReturnType<typeof loadHubConfig>, file: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'policies-'));
  mkdirSync(join(dir, 'hub'));
  const file = join(dir, 'hub', 'hub.conf');
  writeFileSync(file, `[hub]\nMissingPolicyOk = true\n\n[policy]\n${policy}`);
  try {
    fn(loadHubConfig({ '--config-dir': dir }, {}), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compileError(c: ReturnType<typeof loadHubConfig>): string {
  try {
    compileHubPolicies(c.policies, c.policyFile);
  } catch (e) {
    assert.ok(e instanceof KojiError, String(e));
    return e.message;
  }
  assert.fail('the policies compiled');
}

test('an action a checked policy does not know stops start-up, naming the file, the policy and the line', () => {
  withPolicies('sidetag =\n    has_perm admin :: allow\n    # a comment\n    all :: alow\n', (c, file) => {
    assert.equal(
      compileError(c),
      `${file}: policy sidetag, line 8: unknown action "alow" in "all :: alow" (the sidetag policy's actions are allow and deny, lower case)`,
    );
  });
  // Inside a nested block, negated, and Koji's case-sensitive verb.
  withPolicies(
    'tag =\n    is_sidetag :: {\n        all !! Deny not yours\n    }\n    all :: allow\n',
    (c, file) => {
      assert.match(compileError(c), new RegExp(`^${file}: policy tag, line 7: unknown action "Deny"`));
    },
  );
  withPolicies('package_list =\n    all :: permit\n', (c) => {
    assert.match(compileError(c), /policy package_list, line 6: unknown action "permit"/);
  });
  withPolicies('runroot =\n    all :: yes\n', (c) => {
    assert.match(compileError(c), /policy runroot, line 6: unknown action "yes"/);
  });
});

test('allow and deny with reasons compile; policies the hub does not check keep their own verbs', () => {
  withPolicies(
    'sidetag =\n    has_perm admin :: allow\n    compare number_of_tags >= 10 :: deny too many\n    all :: allow\n' +
      'channel =\n    all :: use runroot\nhelper =\n    all :: yes\n',
    (c) => {
      const set = compileHubPolicies(c.policies, c.policyFile);
      assert.ok(set.get('sidetag') && set.get('channel') && set.get('helper'));
    },
  );
});

test('a [policy] key the hub never consults is a warning naming the file, the key and its line', () => {
  withPolicies(
    'sidtag =\n    all :: deny\nhelper =\n    has_perm admin :: allow\ntag =\n    policy helper :: allow\n    all :: deny\nbuild_from_srpm =\n    all :: allow\n',
    (c, file) => {
      const set = compileHubPolicies(c.policies, c.policyFile);
      assert.deepEqual(unusedPolicyWarnings(c.policies, set, c.policyFile), [
        `${file} [policy] sidtag (line 5) is not a policy koji-es checks (it checks sidetag, tag, package_list, runroot; others only through a \`policy NAME\` test)`,
        `${file} [policy] build_from_srpm (line 12) is not a policy koji-es checks (it checks sidetag, tag, package_list, runroot; others only through a \`policy NAME\` test)`,
      ]);
    },
  );
});

test('the shipped policies compile with no warning', () => {
  const c = loadHubConfig({ '--config-dir': join(__dirname, '..', '..', '..', 'config') }, {});
  const set = compileHubPolicies(c.policies, c.policyFile);
  assert.deepEqual(unusedPolicyWarnings(c.policies, set, c.policyFile), []);
});
