import { readFileSync } from 'node:fs';

/** The parts of an `atlassian-connect.json` the add-on itself reads. */
export interface Descriptor {
  key: string;
  name: string;
  baseUrl: string;
  lifecycle?: { installed?: string; uninstalled?: string };
  [field: string]: unknown;
}

/**
 * The add-on's descriptor with its `baseUrl` filled in. The file keeps `{{baseUrl}}` because the
 * URL the product must call depends on where the add-on runs (a tunnel, a port, a host).
 */
export function loadDescriptor(file: URL | string, baseUrl: string): Descriptor {
  const descriptor = JSON.parse(readFileSync(file, 'utf8')) as Descriptor;
  if (typeof descriptor.key !== 'string' || descriptor.key === '') {
    throw new TypeError(`loadDescriptor: ${String(file)} has no "key"`);
  }
  return { ...descriptor, baseUrl: baseUrl.replace(/\/+$/, '') };
}
