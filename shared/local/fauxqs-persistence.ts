import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildAppOptions } from 'fauxqs';
import { z } from 'zod';

/**
 * fauxqs 2 keeps queues, messages, buckets and objects in a SQLite file (`node:sqlite`, Node 22.5+)
 * when its `startFauxqs` helper gets a `dataDir`. That helper binds 0.0.0.0, and the local hub keeps
 * every emulator on loopback, so the hub builds the same stores itself, hands them to `buildApp` and
 * listens where it wants. Only the wiring `startFauxqs` does is repeated here; the storage is fauxqs'.
 */

type Stores = NonNullable<BuildAppOptions['stores']>;
type SqsStore = Stores['sqsStore'];
type SnsStore = Stores['snsStore'];
type S3Store = Stores['s3Store'];
type PersistenceManager = NonNullable<SqsStore['persistence']>;

const FAUXQS_DIST = resolve(import.meta.dirname, '../../node_modules/fauxqs/dist');
/** The file fauxqs names inside its data folder. */
const FAUXQS_DATABASE_FILE = 'fauxqs.db';

const constructorOf = <T>() =>
  z.custom<T>((value) => typeof value === 'function', 'a class exported by fauxqs');

const moduleExporting = <T>(name: string) => z.looseObject({ [name]: constructorOf<T>() });

const importFauxqs = async <T>(file: string, exportName: string): Promise<T> => {
  const module: unknown = await import(pathToFileURL(join(FAUXQS_DIST, file)).href);
  const parsed = moduleExporting<T>(exportName).safeParse(module);
  if (!parsed.success) throw new Error(`fauxqs/dist/${file} no longer exports ${exportName}`);
  return parsed.data[exportName] as T;
};

/** The slice of `node:sqlite` used to move queue URLs to a new port (its types are not in @types/node 20). */
interface SqliteDatabase {
  prepare(sql: string): {
    all(...parameters: unknown[]): unknown[];
    run(...parameters: unknown[]): unknown;
  };
  close(): void;
}
type SqliteDatabaseConstructor = new (path: string) => SqliteDatabase;

const openDatabase = async (path: string): Promise<SqliteDatabase> => {
  // A specifier TypeScript does not resolve: @types/node 20 has no `node:sqlite`.
  const specifier = 'node:sqlite';
  const sqlite: unknown = await import(specifier);
  const { DatabaseSync } = moduleExporting<SqliteDatabaseConstructor>('DatabaseSync').parse(sqlite);
  return new (DatabaseSync as SqliteDatabaseConstructor)(path);
};

const QueueRowSchema = z.object({ name: z.string(), url: z.string() });

/**
 * fauxqs stores each queue's URL with the port it was created on, and answers CreateQueue and
 * GetQueueUrl with the stored URL. The SDK sends SQS calls to a queue URL's host and port, so a hub
 * restarted on another port (`--port 0`) would hand out URLs that lead nowhere: point them here.
 */
const moveQueueUrlsToPort = (database: SqliteDatabase, port: number): void => {
  const update = database.prepare('UPDATE sqs_queues SET url = ? WHERE name = ?');
  const rows = z.array(QueueRowSchema).parse(database.prepare('SELECT name, url FROM sqs_queues').all());
  for (const row of rows) {
    const url = new URL(row.url);
    if (url.port === String(port)) continue;
    url.port = String(port);
    update.run(url.href, row.name);
  }
};

export interface FauxqsPersistence {
  /** Empty until `load`: pass them to `buildApp`. */
  readonly stores: Stores;
  /** Restores what the folder holds into the stores, then writes every change through to it. */
  load(listeningPort: number): Promise<void>;
  close(): void;
}

/** Stores backed by `<dataDir>/fauxqs.db`: SQS and SNS state, S3 buckets and objects. */
/**
 * Empty stores, as `buildApp` makes them when given none: handed to it, they let the hub read the
 * emulator's state directly (a message's visibility deadline) instead of over its inspection route.
 */
export const createFauxqsStores = async (): Promise<Stores> => {
  const [SqsStoreClass, SnsStoreClass, S3StoreClass] = await Promise.all([
    importFauxqs<new () => SqsStore>('sqs/sqsStore.js', 'SqsStore'),
    importFauxqs<new () => SnsStore>('sns/snsStore.js', 'SnsStore'),
    importFauxqs<new () => S3Store>('s3/s3Store.js', 'S3Store'),
  ]);
  return { sqsStore: new SqsStoreClass(), snsStore: new SnsStoreClass(), s3Store: new S3StoreClass() };
};

export const openFauxqsPersistence = async (dataDir: string): Promise<FauxqsPersistence> => {
  const [stores, PersistenceManagerClass] = await Promise.all([
    createFauxqsStores(),
    importFauxqs<new (dataDir: string) => PersistenceManager>('persistence.js', 'PersistenceManager'),
  ]);
  // Creates the folder and the schema.
  const manager = new PersistenceManagerClass(dataDir);
  const ownConnection = await openDatabase(join(dataDir, FAUXQS_DATABASE_FILE));
  // fauxqs 2.4.1 writes NULL into the NOT NULL receive count when a message is made visible again
  // (ChangeMessageVisibility to 0): SQLite refuses, the call answers 500, and the file keeps the
  // message in flight. Clearing only the receipt handle and the deadline is what it means to do.
  const markReady = ownConnection.prepare(
    'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?',
  );
  manager.updateMessageReady = (messageId: string) => {
    markReady.run(messageId);
  };
  let closed = false;
  return {
    stores,
    async load(listeningPort) {
      moveQueueUrlsToPort(ownConnection, listeningPort);
      // As startFauxqs does: load first (re-inserting while loading would cascade-delete messages), then wire.
      manager.load(stores.sqsStore, stores.snsStore, stores.s3Store);
      stores.sqsStore.persistence = manager;
      stores.snsStore.persistence = manager;
      stores.s3Store.persistence = manager;
      for (const queue of stores.sqsStore.allQueues()) queue.persistence = manager;
    },
    close() {
      if (closed) return;
      closed = true;
      ownConnection.close();
      manager.close();
    },
  };
};
