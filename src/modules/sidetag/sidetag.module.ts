import { Module } from '@nestjs/common';
import { TagsModule } from '../tags/tags.module.js';
import { UsersModule } from '../users/users.module.js';
import { SidetagApi } from './sidetag.api.js';
import {
  CreateSideTagHandler,
  ChangeCoOwnerHandler,
  EditSideTagHandler,
  HoldSideTagHandler,
  SetSideTagExpiryHandler,
  TransferSideTagHandler,
  RemoveSideTagHandler,
  SidetagRemover,
} from './sidetag.commands.js';

@Module({
  imports: [UsersModule, TagsModule],
  providers: [
    SidetagRemover,
    SidetagApi,
    CreateSideTagHandler,
    ChangeCoOwnerHandler,
    EditSideTagHandler,
    HoldSideTagHandler,
    SetSideTagExpiryHandler,
    TransferSideTagHandler,
    RemoveSideTagHandler,
  ],
  exports: [SidetagApi],
})
export class SidetagModule {}
