// formParams 'fallback' and 'merge' behind the nested-capable form parsers apps really install:
// `user[role]=admin` becomes an object the qsh cannot cover, so it must be refused, not dropped.
import { createJwt } from '@connect-jwt/core';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTALLATION } from './installation.js';
import type { RunningServer } from './listen.js';

export type FormParamsPolicy = 'fallback' | 'merge';

/**
 * An app behind a nested-capable form parser, with `POST /submit` guarded by `atlassianJwt({ store,
 * formParams })` (the store holds INSTALLATION), answering `{ body }`.
 */
export type FormApp = (formParams: FormParamsPolicy) => Promise<RunningServer>;

/** Registers the nested-form-value checks against one framework's app behind its usual form parser. */
export function formValuesSuite(parser: string, start: FormApp): void {
  describe(`form values behind ${parser}`, () => {
    const servers: RunningServer[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    for (const formParams of ['fallback', 'merge'] as const) {
      it(`formParams '${formParams}': a token for a=1 does not carry a nested field in`, async () => {
        const server = await start(formParams);
        servers.push(server);
        const token = await createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, {
          method: 'POST',
          uri: '/submit?a=1',
        });
        const post = (body: string) =>
          fetch(`${server.url}/submit`, {
            method: 'POST',
            headers: { authorization: `JWT ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
        const plain = await post('a=1');
        expect(plain.status).toBe(200);
        const nested = await post('a=1&user[role]=admin');
        expect(nested.status).toBe(401);
        expect(await nested.json()).toMatchObject({ code: 'ERR_QSH_MISMATCH' });
      });
    }
  });
}
