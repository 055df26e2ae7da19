import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Browsers ask every site for /favicon.ico; the hub has no icon, and a 404 for it was an error in the
 * console of every page. No content, cached for a day.
 */
@Controller()
export class FaviconController {
  @Get('favicon.ico')
  favicon(@Res() res: Response): void {
    res.status(204).setHeader('Cache-Control', 'public, max-age=86400').end();
  }
}
