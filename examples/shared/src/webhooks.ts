import type { WebhookHandlers } from '@connect-jwt/core';

/** One webhook an example add-on handled: what `GET /api/webhooks` lists. */
export interface HandledWebhook {
  event: string;
  issueKey: string | undefined;
  identifier: string | undefined;
  retry: number;
}

/**
 * The examples' webhook handlers (one per event of the descriptor) and what they handled, per
 * site. An add-on would write to its database here; `connectWebhooks` already made sure each
 * delivery runs once, however often Jira sends it.
 */
export function exampleWebhooks(): {
  handlers: WebhookHandlers;
  handledBy(clientKey: string): HandledWebhook[];
} {
  const handled = new Map<string, HandledWebhook[]>();
  return {
    handlers: {
      'jira:issue_created': (body, { clientKey, webhook }) => {
        const issue = body.issue as { key?: unknown } | undefined;
        const list = handled.get(clientKey) ?? [];
        list.push({
          event: webhook.event,
          issueKey: typeof issue?.key === 'string' ? issue.key : undefined,
          identifier: webhook.identifier,
          retry: webhook.retry,
        });
        handled.set(clientKey, list.slice(-20));
      },
    },
    handledBy: (clientKey) => handled.get(clientKey) ?? [],
  };
}
