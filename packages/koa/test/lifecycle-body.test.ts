import { lifecycleBodySuite, listen } from '@connect-jwt/adapter-test-suite';
import { connectLifecycle } from '@connect-jwt/koa';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';

lifecycleBodySuite('koa', {
  behind: {
    'an app-wide form-only bodyParser (leaves {} and the stream unread)': async (options) => {
      const app = new Koa();
      app.use(bodyParser({ enableTypes: ['form'] }));
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
    'an app-wide text bodyParser for JSON too (a string body)': async (options) => {
      const app = new Koa();
      app.use(bodyParser({ enableTypes: ['text'], extendTypes: { text: ['application/json'] } }));
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
    'an app-wide bodyParser with its defaults (a parsed object)': async (options) => {
      const app = new Koa();
      app.use(bodyParser());
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
  },
  consumed: async (options) => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.req.resume();
      await new Promise((resolve) => ctx.req.on('end', resolve));
      await next();
    });
    app.use(connectLifecycle(options));
    return listen(app.listen(0, '127.0.0.1'));
  },
});
