import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import type { AppConfig } from '../../config/config.js';

/** A connection to the configured Redis: one server, or a whole cluster. */
export type RedisConnection = Redis | Cluster;

/** What a caller chooses; each means the same on one server and on a cluster. */
export interface RedisConnectionOptions {
  /** Shown by `CLIENT LIST` on every node. */
  connectionName: string;
  /** Times a command is sent again after a lost connection before it fails; null: never fails (BullMQ requires it). */
  maxRetriesPerRequest: number | null;
  /** false: commands fail at once while disconnected instead of waiting. Default true. */
  enableOfflineQueue?: boolean;
  /** Commands of one event-loop turn leave in one write. Default false. */
  enableAutoPipelining?: boolean;
  /** Connect on `connect()` or the first command rather than at once. Default false. */
  lazyConnect?: boolean;
}

/**
 * Every Redis connection of the process is made here, so that one setting,
 * `REDIS_CLUSTER`, decides for all of them whether `REDIS_URL` is the server
 * or one node of a cluster.
 */
export function createRedis(config: Pick<AppConfig, 'redisUrl' | 'redisCluster'>, options: RedisConnectionOptions): RedisConnection {
  if (!config.redisCluster) return new Redis(config.redisUrl, options);

  const { connectionName, maxRetriesPerRequest, ...clientOptions } = options;
  const seed = new URL(config.redisUrl);
  const tls = seed.protocol === 'rediss:';
  const clusterOptions: ClusterOptions = {
    ...clientOptions,
    // The nodes the seed names are connected to with these options, not the
    // seed's URL: they need its credentials and TLS too.
    redisOptions: {
      username: decodeURIComponent(seed.username) || undefined,
      password: decodeURIComponent(seed.password) || undefined,
      ...(tls && { tls: {} }),
      connectionName,
      maxRetriesPerRequest,
    },
    // Five seconds, not ioredis' one: a slow answer (a busy node, another zone)
    // must not leave the client without a slot map until the next refresh.
    slotsRefreshTimeout: 5_000,
    // With TLS, connect to a host name as given rather than to the address it
    // resolves to, so the certificate is checked against the name (ioredis'
    // advice for ElastiCache with TLS).
    ...(tls && { dnsLookup: (address, callback) => callback(null, address) }),
  };
  return new Cluster([{ host: seed.hostname.replace(/^\[|\]$/g, ''), port: Number(seed.port || 6379) }], clusterOptions);
}
