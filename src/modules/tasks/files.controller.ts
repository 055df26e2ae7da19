import { Controller, Get, Head, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TaskFiles } from './task-files.js';
import { FILES_ACCESS, type FilesAccess } from './files-access.js';
import { CallContextService } from '../../rpc/call-context.service.js';

const TYPES: [RegExp, string][] = [
  [/\.(log|txt)$/, 'text/plain; charset=utf-8'],
  [/\.tar\.gz$|\.tgz$/, 'application/gzip'],
  [/\.json$/, 'application/json'],
];

/**
 * Koji's topurl: GET /files/<path> streams task output, with Range for resumed downloads. Paths
 * resolve inside the topdir only; volumes with an access rule (failed-tree) ask it first.
 */
@Controller('files')
export class FilesController {
  constructor(
    private readonly files: TaskFiles,
    private readonly contexts: CallContextService,
    @Inject(FILES_ACCESS) private readonly access: FilesAccess,
  ) {}

  @Get('*path')
  get(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, false);
  }

  @Head('*path')
  head(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, true);
  }

  private async serve(req: Request, res: Response, headOnly: boolean) {
    const rel = decodeURIComponent(req.path.replace(/^\/files\/?/, ''));
    if (!rel || rel.includes('\0') || rel.split('/').some((s) => s === '..') || rel.startsWith('.uploads')) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    const top = await realpath(this.files.topdir).catch(() => null);
    const target = join(this.files.topdir, rel);
    const real = await realpath(target).catch(() => null);
    if (!top || !real || !(real + sep).startsWith(top + sep)) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    const st = await stat(real);
    if (!st.isFile()) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    const resolved = await this.contexts.forRequest(req, 'web', {
      cookieSession: cookie(req, 'koji_es_session'),
    });
    // Refused credentials (expired, locked out by an exclusive session) read as anonymous.
    const ctx = resolved.authProblem ? { ...resolved, user: null } : resolved;
    const denial = await this.access.check(rel, ctx);
    if (denial) {
      res.status(denial.status).type('text/plain').send(`${denial.message}\n`);
      return;
    }
    const type = TYPES.find(([re]) => re.test(rel))?.[1] ?? 'application/octet-stream';
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', type);
    res.setHeader('Last-Modified', st.mtime.toUTCString());
    let start = 0;
    let end = st.size - 1;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === '' && m[2] === '')) {
        res.status(416).setHeader('Content-Range', `bytes */${st.size}`).end();
        return;
      }
      if (m[1] === '') start = Math.max(0, st.size - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start > end || start >= st.size) {
        res.status(416).setHeader('Content-Range', `bytes */${st.size}`).end();
        return;
      }
      res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${st.size}`);
    }
    res.setHeader('Content-Length', String(st.size === 0 ? 0 : end - start + 1));
    if (headOnly || st.size === 0) {
      res.end();
      return;
    }
    createReadStream(real, { start, end })
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

export function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
