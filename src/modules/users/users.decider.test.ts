import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { given, project, recorded } from '../../kernel/given-when-then.js';
import { userDecider } from './users.decider.js';
import type { UserEvent } from './users.events.js';
import { usersProjection, type UserDoc } from './users.projection.js';

const created = (id = 2, name = 'alice', usertype = 0): UserEvent => ({
  type: 'UserCreated',
  data: { id, name, usertype, status: 0, krbPrincipal: null },
});
const group = created(5, 'packagers', 2);

describe('users decider', () => {
  test('create once', () => {
    given(userDecider)
      .when({ kind: 'create', id: 2, name: 'alice', usertype: 0, status: 0, krbPrincipal: null })
      .then([created()]);
    given(userDecider, [created()])
      .when({ kind: 'create', id: 2, name: 'alice', usertype: 0, status: 0, krbPrincipal: null })
      .thenFails('GenericError', 'user already exists: alice');
  });

  test('status changes only when it changes', () => {
    given(userDecider, [created()])
      .when({ kind: 'setStatus', status: 1 })
      .then([{ type: 'UserStatusChanged', data: { id: 2, name: 'alice', status: 1 } }]);
    given(userDecider, [created()]).when({ kind: 'setStatus', status: 0 }).then([]);
    given(userDecider).when({ kind: 'setStatus', status: 1 }).thenFails('GenericError', 'No such user');
  });

  test("permissions: grant once, revoke what is held, with Koji's messages", () => {
    const granted: UserEvent = {
      type: 'PermissionGranted',
      data: { userId: 2, userName: 'alice', permId: 16, perm: 'runroot' },
    };
    given(userDecider, [created()]).when({ kind: 'grant', permId: 16, perm: 'runroot' }).then([granted]);
    given(userDecider, [created(), granted])
      .when({ kind: 'grant', permId: 16, perm: 'runroot' })
      .thenFails('GenericError', 'user alice already has permission: runroot');
    given(userDecider, [created()])
      .when({ kind: 'revoke', permId: 16, perm: 'runroot' })
      .thenFails('GenericError', 'user alice does not have permission: runroot');
    given(userDecider, [created(), granted])
      .when({ kind: 'revoke', permId: 16, perm: 'runroot' })
      .then([{ type: 'PermissionRevoked', data: granted.data }]);
  });

  test('group membership', () => {
    const alice = { id: 2, name: 'alice', usertype: 0 };
    const added: UserEvent = {
      type: 'GroupMemberAdded',
      data: { groupId: 5, groupName: 'packagers', userId: 2, userName: 'alice' },
    };
    given(userDecider, [group]).when({ kind: 'addMember', user: alice }).then([added]);
    given(userDecider, [group, added])
      .when({ kind: 'addMember', user: alice })
      .thenFails('GenericError', 'User alice is already a member of group packagers');
    given(userDecider, [created()])
      .when({ kind: 'addMember', user: alice })
      .thenFails('GenericError', 'Not a group: alice');
    given(userDecider, [group])
      .when({ kind: 'addMember', user: { id: 6, name: 'g2', usertype: 2 } })
      .thenFails('GenericError', 'Groups cannot be members of other groups');
    given(userDecider, [group]).when({ kind: 'removeMember', user: alice }).then([]);
    given(userDecider, [group, added])
      .when({ kind: 'removeMember', user: alice })
      .then([{ type: 'GroupMemberRemoved', data: added.data }]);
  });
});

describe('users projection', () => {
  test('users, their permissions and groups, as queries read them', async () => {
    const rm = await project(usersProjection, [
      ...recorded('user-2', [
        created(),
        { type: 'PermissionGranted', data: { userId: 2, userName: 'alice', permId: 16, perm: 'runroot' } },
        { type: 'PermissionGranted', data: { userId: 2, userName: 'alice', permId: 1, perm: 'admin' } },
        { type: 'PermissionRevoked', data: { userId: 2, userName: 'alice', permId: 1, perm: 'admin' } },
        { type: 'UserPasswordSet', data: { id: 2, name: 'alice', hash: 'scrypt$x' } },
      ]),
      ...recorded('user-5', [
        group,
        {
          type: 'GroupMemberAdded',
          data: { groupId: 5, groupName: 'packagers', userId: 2, userName: 'alice' },
        },
      ]),
      ...recorded('session-1', [
        {
          type: 'SessionStarted',
          data: {
            id: 1,
            userId: 2,
            userName: 'alice',
            keyHash: 'h',
            authtype: 0,
            startTime: 't',
            expiresAt: 'e',
            clientAddress: 'a',
          },
        },
        { type: 'SessionEnded', data: { id: 1, userId: 2, reason: 'logout' } },
      ]),
    ]);
    const alice = await rm.get<UserDoc>('users', '2');
    assert.deepEqual(alice, {
      id: 2,
      name: 'alice',
      status: 0,
      usertype: 0,
      krb_principals: [],
      perms: ['runroot'],
      groups: [{ id: 5, name: 'packagers' }],
    });
    assert.deepEqual(await rm.get('credentials', '2'), { user_id: 2, hash: 'scrypt$x' });
    assert.equal((await rm.get<{ ended: boolean }>('sessions', '1'))!.ended, true);
    assert.equal(await rm.count('group_members', { group_id: 5 }), 1);
  });
});
