import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { UsersModule } from '../users/users.module.js';
import { FailedTreeApi, RecordTreeHandler } from './failed-tree.api.js';

@Module({
  imports: [UsersModule, TasksModule],
  providers: [FailedTreeApi, RecordTreeHandler],
  exports: [FailedTreeApi],
})
export class FailedTreeModule {}
