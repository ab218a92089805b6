import { parseJsonWithComments } from '../lib/json-with-comments.js';
import { isHttpsOrLoopback, trimTrailingSlash } from '../lib/url.js';

/** An `atlassian-connect.json` app descriptor; only the fields checked here are typed. */
export interface ConnectDescriptor {
  key: string;
  baseUrl: string;
  authentication?: { type?: string; [field: string]: unknown };
  lifecycle?: { installed?: string; uninstalled?: string; [event: string]: unknown };
  apiMigrations?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ConnectDescriptorOptions {
  /** The add-on's public base URL: fills `{{localBaseUrl}}` (ACE) and `{{baseUrl}}`. */
  baseUrl: string;
  /** Fills `{{appKey}}` (ACE) and `{{key}}`. */
  appKey?: string;
  /** Fills `{{environment}}` (ACE); default `production`. */
  environment?: string;
  /** Further `{{name}}` placeholders and their values. */
  values?: Record<string, string>;
  /** The paths `connectLifecycle` serves; defaults `/installed` and `/uninstalled`, as there. */
  installedPath?: string;
  uninstalledPath?: string;
}

const WHERE = 'connectDescriptor';
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
// Atlassian's rule for an app key: what the marketplace and the install accept.
const APP_KEY = /^[A-Za-z0-9._-]{1,64}$/;

function fill(value: unknown, values: Record<string, string>, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (placeholder, name: string) => {
      const replacement = values[name];
      if (replacement === undefined) {
        throw new TypeError(`${WHERE}: ${path} has ${placeholder}, and no value was given for "${name}"`);
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => fill(item, values, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, values, `${path}.${key}`)]));
  }
  return value;
}

/** A lifecycle URL from the descriptor as the path the add-on receives it on. */
function lifecyclePath(value: string, baseUrl: string): string {
  if (value.startsWith(`${baseUrl}/`)) return value.slice(baseUrl.length);
  return value;
}

function checkLifecycle(descriptor: ConnectDescriptor, event: 'installed' | 'uninstalled', expected: string): void {
  const value = descriptor.lifecycle?.[event];
  if (value === undefined && event === 'uninstalled') return;
  if (typeof value !== 'string') {
    throw new TypeError(
      `${WHERE}: lifecycle.${event} is missing: without it the product never sends the shared secret; use "${expected}"`,
    );
  }
  const path = lifecyclePath(value, descriptor.baseUrl);
  if (path !== expected) {
    throw new TypeError(
      `${WHERE}: lifecycle.${event} is ${JSON.stringify(value)} but connectLifecycle serves "${expected}"` +
        ` (set its ${event}Path option, or change the descriptor)`,
    );
  }
}

/**
 * The descriptor to serve at `/atlassian-connect.json`: the template (an object, or JSON text with
 * comments allowed, e.g. an ACE `atlassian-connect.json` unchanged) with its placeholders filled, checked for what would
 * make installs fail. Every mistake is a TypeError naming the field, thrown once at startup.
 */
export function connectDescriptor(template: object | string, options: ConnectDescriptorOptions): ConnectDescriptor {
  if (options === null || typeof options !== 'object') throw new TypeError(`${WHERE}: options are required`);
  if (typeof options.baseUrl !== 'string' || !URL.canParse(options.baseUrl)) {
    throw new TypeError(`${WHERE}: options.baseUrl must be the add-on's absolute URL`);
  }
  let parsed: unknown = template;
  if (typeof template === 'string') {
    try {
      parsed = parseJsonWithComments(template);
    } catch (cause) {
      throw new TypeError(`${WHERE}: the template is not valid JSON (comments and trailing commas are allowed)`, {
        cause,
      });
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`${WHERE}: the template must be a descriptor object`);
  }
  const baseUrl = trimTrailingSlash(options.baseUrl);
  const values: Record<string, string> = {
    ...options.values,
    localBaseUrl: baseUrl,
    baseUrl,
    environment: options.environment ?? 'production',
  };
  if (options.appKey !== undefined) {
    values.appKey = options.appKey;
    values.key = options.appKey;
  }
  const descriptor = fill(parsed, values, 'descriptor') as ConnectDescriptor;

  if (typeof descriptor.key !== 'string' || !APP_KEY.test(descriptor.key)) {
    throw new TypeError(`${WHERE}: key must be 1 to 64 letters, digits, ".", "_" or "-"`);
  }
  if (typeof descriptor.baseUrl !== 'string' || !URL.canParse(descriptor.baseUrl)) {
    throw new TypeError(`${WHERE}: baseUrl must be an absolute URL (use "{{localBaseUrl}}")`);
  }
  descriptor.baseUrl = trimTrailingSlash(descriptor.baseUrl);
  // Products call only https add-ons; plain http works for a local product during development.
  if (!isHttpsOrLoopback(new URL(descriptor.baseUrl))) {
    throw new TypeError(`${WHERE}: baseUrl ${descriptor.baseUrl} must be https (http only on localhost)`);
  }
  if (String(descriptor.authentication?.type).toLowerCase() !== 'jwt') {
    throw new TypeError(`${WHERE}: authentication.type must be "jwt" (a shared secret is what this library checks)`);
  }
  if (descriptor.apiMigrations?.['signed-install'] !== true) {
    throw new TypeError(
      `${WHERE}: apiMigrations["signed-install"] must be true: connectLifecycle accepts only signed installs`,
    );
  }
  checkLifecycle(descriptor, 'installed', options.installedPath ?? '/installed');
  checkLifecycle(descriptor, 'uninstalled', options.uninstalledPath ?? '/uninstalled');
  return descriptor;
}
