import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { RpcModule } from '../../rpc/rpc.module.js';
import { UsersModule } from '../users/users.module.js';
import { FilesController } from './files.controller.js';
import { FILES_ACCESS, FilesAccessRules } from './files-access.js';
import { HostLiveness, HostTimeoutScanner } from './host-liveness.js';
import { HostSideApi } from './host-side.api.js';
import { TaskFiles } from './task-files.js';
import { TaskWakeups } from './task-wakeups.js';
import { TasksApi } from './tasks.api.js';
import {
  AddChannelHandler,
  AddHostHandler,
  CancelTaskHandler,
  ChangeBuildrootHandler,
  ChangeHostHandler,
  EditChannelHandler,
  MakeTaskHandler,
  NewBuildrootHandler,
  SeedChannelsHandler,
  TaskFactory,
  TransitionTaskHandler,
} from './tasks.commands.js';
import { TasksReader } from './tasks.reader.js';

@Module({
  imports: [UsersModule, RpcModule],
  controllers: [FilesController],
  providers: [
    TasksReader,
    TaskFactory,
    TasksApi,
    HostSideApi,
    HostLiveness,
    HostTimeoutScanner,
    TaskWakeups,
    {
      provide: TaskFiles,
      inject: [HUB_CONFIG],
      useFactory: (c: HubConfig) => new TaskFiles(join(c.dataDir, 'files')),
    },
    { provide: FILES_ACCESS, useValue: new FilesAccessRules() },
    AddChannelHandler,
    AddHostHandler,
    CancelTaskHandler,
    ChangeBuildrootHandler,
    ChangeHostHandler,
    EditChannelHandler,
    MakeTaskHandler,
    NewBuildrootHandler,
    SeedChannelsHandler,
    TransitionTaskHandler,
  ],
  exports: [TasksReader, TaskFactory, TaskFiles, FILES_ACCESS, HostTimeoutScanner, TaskWakeups],
})
export class TasksModule {}
