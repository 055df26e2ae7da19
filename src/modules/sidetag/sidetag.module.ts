import { Module } from '@nestjs/common';
import { TagsModule } from '../tags/tags.module.js';
import { UsersModule } from '../users/users.module.js';
import { SidetagApi } from './sidetag.api.js';
import {
  CreateSideTagHandler,
  EditSideTagHandler,
  HoldSideTagHandler,
  RemoveSideTagHandler,
  SidetagRemover,
} from './sidetag.commands.js';

@Module({
  imports: [UsersModule, TagsModule],
  providers: [
    SidetagRemover,
    SidetagApi,
    CreateSideTagHandler,
    EditSideTagHandler,
    HoldSideTagHandler,
    RemoveSideTagHandler,
  ],
  exports: [SidetagApi],
})
export class SidetagModule {}
