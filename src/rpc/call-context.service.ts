import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CallContext } from './context.js';
import {
  CREDENTIAL_RESOLVER,
  credentialsFromHeaders,
  type CredentialInput,
  type CredentialResolver,
} from './credentials.js';
import { CLOCK, type Clock } from '../kernel/clock.js';

/** Builds the CallContext of an HTTP request: its address, a request id and its resolved credentials. */
@Injectable()
export class CallContextService {
  constructor(
    @Inject(CREDENTIAL_RESOLVER) private readonly credentials: CredentialResolver,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  clientAddress(req: IncomingMessage): string {
    const a = req.socket.remoteAddress ?? 'unknown';
    return a.startsWith('::ffff:') ? a.slice(7) : a;
  }

  async forRequest(
    req: IncomingMessage,
    door: CallContext['door'],
    extra: CredentialInput = {},
  ): Promise<CallContext> {
    const now = this.clock.now();
    const clientAddress = this.clientAddress(req);
    const base: CallContext = {
      user: null,
      sessionId: null,
      tokenId: null,
      authtype: null,
      clientAddress,
      requestId: randomUUID(),
      door,
      now,
      warnings: [],
    };
    const input = { ...credentialsFromHeaders(req.headers), ...extra };
    const { problem, ...resolved } = await this.credentials.resolve(input, clientAddress, now);
    return { ...base, ...resolved, ...(problem ? { authProblem: problem } : {}) };
  }
}
