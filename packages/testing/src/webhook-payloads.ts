/** Webhook events the fake product can send with a realistic JSON body. */
export type WebhookEvent = 'jira:issue_created' | 'jira:issue_updated' | 'comment_created' | 'page_created';

export interface WebhookPayloadOptions {
  siteUrl: string;
  accountId: string;
  /** Epoch milliseconds of the event; default now. */
  timestamp?: number;
  issueKey?: string;
  summary?: string;
}

function jiraUser(siteUrl: string, accountId: string) {
  return {
    self: `${siteUrl}/rest/api/2/user?accountId=${accountId}`,
    accountId,
    displayName: 'Ada Lovelace',
    active: true,
    timeZone: 'Europe/Berlin',
    accountType: 'atlassian',
  };
}

function jiraIssue(options: WebhookPayloadOptions) {
  const key = options.issueKey ?? 'TEST-1';
  const id = String(10000 + Number(key.split('-')[1] ?? 0));
  return {
    id,
    self: `${options.siteUrl}/rest/api/2/${id}`,
    key,
    fields: {
      summary: options.summary ?? 'Example issue',
      issuetype: { id: '10001', name: 'Task', subtask: false },
      project: { id: '10000', key: key.split('-')[0], name: 'Test project', projectTypeKey: 'software' },
      status: { id: '10000', name: 'To Do', statusCategory: { key: 'new' } },
      reporter: jiraUser(options.siteUrl, options.accountId),
      created: new Date(options.timestamp ?? Date.now()).toISOString(),
    },
  };
}

/** The JSON body a product POSTs for `event`, shaped like the real product's. */
export function webhookPayload(event: WebhookEvent, options: WebhookPayloadOptions): Record<string, unknown> {
  const timestamp = options.timestamp ?? Date.now();
  switch (event) {
    case 'jira:issue_created':
    case 'jira:issue_updated':
      return {
        timestamp,
        webhookEvent: event,
        issue_event_type_name: event === 'jira:issue_created' ? 'issue_created' : 'issue_generic',
        user: jiraUser(options.siteUrl, options.accountId),
        issue: jiraIssue({ ...options, timestamp }),
      };
    case 'comment_created':
      return {
        timestamp,
        webhookEvent: event,
        comment: {
          id: '10100',
          body: 'Looks good to me',
          author: jiraUser(options.siteUrl, options.accountId),
          created: new Date(timestamp).toISOString(),
        },
        issue: jiraIssue({ ...options, timestamp }),
      };
    case 'page_created':
      return {
        timestamp,
        userAccountId: options.accountId,
        accountType: 'customer',
        page: {
          id: 65538,
          title: options.summary ?? 'Example page',
          spaceKey: 'TEST',
          contentType: 'page',
          creatorAccountId: options.accountId,
          creationDate: timestamp,
          self: `${options.siteUrl}/wiki/spaces/TEST/pages/65538`,
        },
      };
    default:
      throw new TypeError(`webhookPayload: unknown event ${JSON.stringify(event)}`);
  }
}
