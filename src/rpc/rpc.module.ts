import { Module } from '@nestjs/common';
import { UsersModule } from '../modules/users/users.module.js';
import { CallContextService } from './call-context.service.js';
import { IntrospectionApi } from './introspection.js';
import { JsonRpcController } from './jsonrpc.controller.js';
import { KojiHubController } from './kojihub.controller.js';
import { SessionCallnums } from './session-callnum.js';

@Module({
  imports: [UsersModule],
  providers: [CallContextService, IntrospectionApi, SessionCallnums],
  controllers: [JsonRpcController, KojiHubController],
  exports: [CallContextService],
})
export class RpcModule {}
