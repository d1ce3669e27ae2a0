import { expect } from 'chai';
import { notificationsOf } from '../../server/db/notifications.js';
import { openPgStore } from '../../server/db/store-database.js';
import { describeDialects } from '../helpers/dialects.js';

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).to.equal(true);
}

describeDialects('notifications between processes', ({ open }) => {
  it('reach every process listening, and after a lost connection say "read again"', async () => {
    const store = await open();
    if (store.dialect === 'sqlite') {
      // One process: nothing to tell anyone, and nothing is ever heard.
      const heard: (string | undefined)[] = [];
      await notificationsOf(store).listen('appshelf_test', (p) => heard.push(p));
      await notificationsOf(store).notify('appshelf_test', 'x');
      expect(heard).to.deep.equal([]);
      return;
    }
    const other = await openPgStore(store.pool.options.connectionString!);
    const [here, there] = [notificationsOf(store), notificationsOf(other)];
    try {
      const heard: (string | undefined)[] = [];
      await there.listen('appshelf_test', (p) => heard.push(p));
      await here.notify('appshelf_test', 'one');
      await until(() => heard.length === 1);
      expect(heard).to.deep.equal(['one']);

      await store.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query = 'LISTEN "appshelf_test"' AND pid <> pg_backend_pid()`,
      );
      await until(() => heard.length === 2);
      expect(heard[1]).to.equal(undefined);
      await here.notify('appshelf_test', 'two');
      await until(() => heard.length === 3);
      expect(heard[2]).to.equal('two');
      const refused = await there
        .listen('not a channel', () => {})
        .then(
          () => undefined,
          (err: Error) => err.message,
        );
      expect(refused).to.match(/not a notification channel/);
    } finally {
      await here.close();
      await there.close();
      await other.close();
    }
  });
});
