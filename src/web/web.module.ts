import { FaviconController } from './favicon.controller.js';
import { Module } from '@nestjs/common';
import { RpcModule } from '../rpc/rpc.module.js';
import { TagsModule } from '../modules/tags/tags.module.js';
import { TasksModule } from '../modules/tasks/tasks.module.js';
import { UsersModule } from '../modules/users/users.module.js';
import { Checksums } from './checksums.js';
import { LoginController } from './login.controller.js';
import { NotFoundController } from './not-found.controller.js';
import { PagesController } from './pages.controller.js';
import { TaskLogController } from './tasklog.controller.js';
import { WebContext } from './web-context.js';

/** The web pages under /koji (DESIGN §6): server-rendered HTML over the read models. */
@Module({
  imports: [RpcModule, UsersModule, TasksModule, TagsModule],
  controllers: [LoginController, PagesController, TaskLogController, FaviconController, NotFoundController],
  providers: [WebContext, { provide: Checksums, useValue: new Checksums() }],
})
export class WebModule {}
