import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { UsersModule } from '../users/users.module.js';
import { PackagesApi } from './packages.api.js';
import { ChangePackageListHandler, CreatePackageHandler } from './packages.commands.js';
import { PackagesReader } from './packages.reader.js';
import { PostUntagHooks, TagDeleteHooks } from './post-untag.js';
import { RepoManager } from './repo-manager.js';
import { ReposWriter } from './repos.writer.js';
import { TagsApi } from './tags.api.js';
import {
  ChangeTargetHandler,
  CreateEmptyBuildHandler,
  CreateTagHandler,
  DeleteTagHandler,
  EditTagHandler,
  FulfilExistingHandler,
  NewRepoHandler,
  RequestRepoHandler,
  TagBuildHandler,
  UntagBuildHandler,
} from './tags.commands.js';
import { TagsReader } from './tags.reader.js';
import { TagsWriter } from './tags.writer.js';

@Module({
  imports: [UsersModule, TasksModule],
  providers: [
    TagsReader,
    TagsWriter,
    PackagesReader,
    PackagesApi,
    ChangePackageListHandler,
    CreatePackageHandler,
    ReposWriter,
    PostUntagHooks,
    TagDeleteHooks,
    RepoManager,
    TagsApi,
    ChangeTargetHandler,
    CreateEmptyBuildHandler,
    CreateTagHandler,
    DeleteTagHandler,
    EditTagHandler,
    FulfilExistingHandler,
    NewRepoHandler,
    RequestRepoHandler,
    TagBuildHandler,
    UntagBuildHandler,
  ],
  exports: [TagsReader, PackagesReader, TagsWriter, ReposWriter, PostUntagHooks, TagDeleteHooks, RepoManager],
})
export class TagsModule {}
