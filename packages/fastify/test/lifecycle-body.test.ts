import { lifecycleBodySuite } from '@connect-jwt/adapter-test-suite';
import { connectLifecycle } from '@connect-jwt/fastify';
import Fastify from 'fastify';

lifecycleBodySuite('fastify', {
  behind: {
    'an app-wide JSON parser that keeps Buffers': async (options) => {
      const app = Fastify();
      app.removeContentTypeParser('application/json');
      app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      await app.register(connectLifecycle, options);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address() as { port: number };
      return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
    },
  },
  consumed: async (options) => {
    const app = Fastify();
    // An app-wide hook that reads the whole body and keeps nothing.
    app.addHook('onRequest', async (request) => {
      request.raw.resume();
      await new Promise((resolve) => request.raw.on('end', resolve));
    });
    await app.register(connectLifecycle, options);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
  },
});
