import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errorPage, sendPage } from './layout.js';
import { WebContext } from './web-context.js';

/** Any other GET under /koji: a 404 page in the site's frame. Registered after every page's route. */
@Controller('koji')
export class NotFoundController {
  constructor(private readonly web: WebContext) {}

  @Get('*path')
  async notFound(@Req() req: Request, @Res() res: Response): Promise<void> {
    const viewer = (await this.web.viewer(req)).user;
    const path = new URL(req.originalUrl, 'http://local.invalid').pathname;
    sendPage(
      res,
      404,
      errorPage(404, `No such page: ${path}`, { viewer, urls: this.web.urls, here: req.originalUrl }),
    );
  }
}
