import { Module } from '@nestjs/common';
import { CREDENTIAL_RESOLVER } from '../../rpc/credentials.js';
import { UsersCredentialResolver } from './credentials.resolver.js';
import { ChangeSessionLockHandler, SessionsApi } from './sessions.handlers.js';
import { UsersApi } from './users.api.js';
import {
  BootstrapHubHandler,
  ChangeUserHandler,
  CreateApiTokenHandler,
  CreateUserHandler,
  EndSessionHandler,
  GrantPermissionHandler,
  RevokeApiTokenHandler,
  SetUserPasswordHandler,
  StartSessionHandler,
} from './users.commands.js';
import { UsersReader } from './users.reader.js';

@Module({
  providers: [
    UsersReader,
    UsersApi,
    SessionsApi,
    ChangeSessionLockHandler,
    UsersCredentialResolver,
    { provide: CREDENTIAL_RESOLVER, useExisting: UsersCredentialResolver },
    BootstrapHubHandler,
    ChangeUserHandler,
    CreateApiTokenHandler,
    CreateUserHandler,
    EndSessionHandler,
    GrantPermissionHandler,
    RevokeApiTokenHandler,
    SetUserPasswordHandler,
    StartSessionHandler,
  ],
  exports: [UsersReader, CREDENTIAL_RESOLVER],
})
export class UsersModule {}
