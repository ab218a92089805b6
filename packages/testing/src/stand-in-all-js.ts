/** Where add-on pages load Atlassian's `all.js` from; a browser test answers it with `STAND_IN_ALL_JS`. */
export const ALL_JS_URL = 'https://connect-cdn.atl-paas.net/all.js';

/** The message types the stand-in `all.js` and the host page exchange over `postMessage`. */
export const BRIDGE_CALL = 'connect-jwt:ap-call';
export const BRIDGE_REPLY = 'connect-jwt:ap-reply';

/**
 * A stand-in for Atlassian's `all.js`, served in its place to pages framed by `startHostPage`.
 * Like the real one it learns the host's origin from the iframe URL's `xdm_e` and its channel from
 * `xdm_c`, talks to the parent window only over `postMessage`, and accepts answers only from that
 * origin. It holds no secret: every token comes from the host, which has the product mint it.
 * It covers `AP.context.getToken`, `AP.context.getContext`, `AP.resize`, `AP.sizeToParent` and
 * `AP.request`, and reports the page's height until the page sizes itself (the real one's default
 * auto-resize).
 */
export const STAND_IN_ALL_JS = `(function () {
  'use strict';
  if (window.AP) return;
  var params = new URLSearchParams(window.location.search);
  var channel = params.get('xdm_c');
  var hostOrigin = null;
  try { hostOrigin = new URL(params.get('xdm_e') || '').origin; } catch (error) { hostOrigin = null; }
  var framed = window.parent !== window && hostOrigin !== null && channel !== null;
  var pending = new Map();
  var nextId = 1;
  // Once the page sizes itself, the automatic height report would undo it.
  var sizedByPage = false;

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    var message = event.data;
    if (!message || message.type !== '${BRIDGE_REPLY}' || message.channel !== channel) return;
    var waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) {
      var error = new Error(message.error.message);
      if (message.error.xhr) error.xhr = message.error.xhr;
      waiting.reject(error);
    } else {
      waiting.resolve(message.result);
    }
  });

  function call(method, args) {
    if (!framed) {
      return Promise.reject(new Error('all.js: this page is not inside a product iframe (no xdm_e/xdm_c in its URL)'));
    }
    return new Promise(function (resolve, reject) {
      var id = nextId++;
      pending.set(id, { resolve: resolve, reject: reject });
      window.parent.postMessage({ type: '${BRIDGE_CALL}', channel: channel, id: id, method: method, args: args }, hostOrigin);
    });
  }

  // The real all.js takes callbacks and returns promises; a callback user must not also get an
  // unhandled rejection for the promise they never looked at.
  function withCallback(promise, callback) {
    if (typeof callback === 'function') promise.then(callback, function () {});
    return promise;
  }

  function size(value) {
    return typeof value === 'number' ? value + 'px' : value === undefined || value === null ? undefined : String(value);
  }

  window.AP = {
    context: {
      getToken: function (callback) { return withCallback(call('context.getToken', []), callback); },
      getContext: function (callback) { return withCallback(call('context.getContext', []), callback); }
    },
    resize: function (width, height) {
      sizedByPage = true;
      call('resize', [size(width), size(height)]).catch(function () {});
    },
    sizeToParent: function () {
      sizedByPage = true;
      call('resize', ['100%', '100%']).catch(function () {});
    },
    request: function (urlOrOptions, maybeOptions) {
      var options = typeof urlOrOptions === 'string' ? Object.assign({ url: urlOrOptions }, maybeOptions) : Object.assign({}, urlOrOptions);
      var request = { url: options.url, type: (options.type || 'GET').toUpperCase(), data: options.data, contentType: options.contentType };
      var answer = call('request', [request]);
      answer.then(
        function (result) { if (typeof options.success === 'function') options.success(result.body, 'success', result.xhr); },
        function (error) { if (typeof options.error === 'function') options.error(error.xhr, 'error', error.message); }
      );
      if (typeof options.success === 'function' || typeof options.error === 'function') answer.catch(function () {});
      return answer;
    }
  };

  if (framed && typeof ResizeObserver === 'function') {
    var lastHeight = -1;
    var report = function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (sizedByPage || height === lastHeight) return;
      lastHeight = height;
      call('resize', [undefined, height + 'px']).catch(function () {});
    };
    var observe = function () { new ResizeObserver(report).observe(document.documentElement); };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', observe);
    else observe();
  }
})();
`;
