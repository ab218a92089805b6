/** A Redis Cluster as `redis+cluster://` names it: some of its nodes, and what every node shares. */
export interface ClusterAddress {
  rootNodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

/** Whether `url` names a cluster (`redis+cluster://` or `rediss+cluster://`) rather than one server. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

/**
 * `redis+cluster://[[user]:password@]host:port[,host:port…]` (`rediss+cluster://` for TLS): the
 * root nodes the client discovers the cluster from; credentials and TLS apply to every node. WHATWG
 * URL cannot hold several hosts, so the authority is split by hand. A cluster has only database 0,
 * so any other path is refused rather than ignored.
 */
export function parseClusterUrl(url: string): ClusterAddress {
  const match = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/0?)?$/i.exec(url);
  const fail = (why: string) =>
    new TypeError(
      `RedisStore: options.url ${why}: use redis+cluster://host:port,host:port (rediss+cluster:// for TLS)`,
    );
  if (!match) throw fail('is not a cluster URL (no path but /0, no query)');
  const [, scheme = '', credentials, hosts = ''] = match;
  const rootNodes = hosts.split(',').map((entry) => {
    const node = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/i.exec(entry);
    const port = Number(node?.[3]);
    if (!node || port < 1 || port > 65535) throw fail(`has a node ${JSON.stringify(entry)} that is not host:port`);
    return { host: node[1] ?? node[2] ?? '', port };
  });
  const address: ClusterAddress = { rootNodes, tls: scheme.toLowerCase() === 'rediss' };
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw fail('has a malformed %-escape in its credentials');
      }
    };
    const user = decode(colon === -1 ? credentials : credentials.slice(0, colon));
    if (user !== '') address.username = user;
    if (colon !== -1) address.password = decode(credentials.slice(colon + 1));
  }
  return address;
}
