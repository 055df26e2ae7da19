import { Module } from '@nestjs/common';
import { TagsModule } from '../tags/tags.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { RunrootApi } from './runroot.api.js';
import { RunrootLogApi } from './runroot.log.api.js';

@Module({ imports: [TagsModule, TasksModule], providers: [RunrootApi, RunrootLogApi] })
export class RunrootModule {}
