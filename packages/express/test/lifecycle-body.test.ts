import type { IncomingMessage } from 'node:http';
import { lifecycleBodySuite, listen } from '@connect-jwt/adapter-test-suite';
import { connectLifecycle } from '@connect-jwt/express';
import express from 'express';

/** A middleware that reads the whole body and keeps nothing (a logger, a signature check). */
function drain(req: IncomingMessage, _res: unknown, next: () => void): void {
  req.resume();
  req.on('end', () => next());
}

lifecycleBodySuite('express', {
  behind: {
    'express.raw() (a Buffer body)': async (options) => {
      const app = express();
      app.use(express.raw({ type: '*/*' }));
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
    'express.text() (a string body)': async (options) => {
      const app = express();
      app.use(express.text({ type: '*/*' }));
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
    'express.urlencoded() (a form-only parser, stream unread)': async (options) => {
      const app = express();
      app.use(express.urlencoded({ extended: false }));
      app.use(connectLifecycle(options));
      return listen(app.listen(0, '127.0.0.1'));
    },
  },
  consumed: async (options) => {
    const app = express();
    app.use(drain);
    app.use(connectLifecycle(options));
    return listen(app.listen(0, '127.0.0.1'));
  },
});
