import { Module } from '@nestjs/common';
import { UsersModule } from '../modules/users/users.module.js';
import { CallContextService } from './call-context.service.js';
import { IntrospectionApi } from './introspection.js';
import { JsonRpcController } from './jsonrpc.controller.js';

@Module({
  imports: [UsersModule],
  providers: [CallContextService, IntrospectionApi],
  controllers: [JsonRpcController],
  exports: [CallContextService],
})
export class RpcModule {}
