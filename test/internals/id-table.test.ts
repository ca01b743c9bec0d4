/** IdTable: the Map replacement for entries that come and go at call rate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdTable } from '../../src/id-table.js';

describe('IdTable', () => {
  it('holds, finds and drops entries by id, counting them', () => {
    const table = new IdTable<{ n: number }>();
    assert.equal(table.size, 0);
    table.set(1, { n: 1 });
    table.set(2, { n: 2 });
    table.set(1, { n: 11 });
    assert.equal(table.size, 2, 'setting an id again replaces its entry');
    assert.deepEqual(table.get(1), { n: 11 });
    assert.equal(table.has(2), true);
    assert.equal(table.get(3), undefined);
    assert.equal(table.delete(2), true);
    assert.equal(table.delete(2), false, 'a second delete finds nothing');
    assert.equal(table.has(2), false);
    assert.equal(table.size, 1);
  });

  it('lists its values as a copy, numeric ids in ascending order, whatever happens to the table meanwhile', () => {
    const table = new IdTable<string>();
    for (const id of [30, 4, 1_000_000, 17]) table.set(id, `v${id}`);
    const values = table.values();
    assert.deepEqual(values, ['v4', 'v17', 'v30', 'v1000000']);
    for (const value of values) table.delete(Number(value.slice(1)));
    assert.equal(table.size, 0);
    assert.equal(values.length, 4);
  });

  it('keeps working through many ids coming and going (the call-rate pattern), and clears', () => {
    const table = new IdTable<number>();
    const live = 64;
    for (let id = 1; id <= 50_000; id++) {
      table.set(id, id);
      if (id > live) assert.equal(table.delete(id - live), true);
    }
    assert.equal(table.size, live);
    assert.deepEqual(table.values(), Array.from({ length: live }, (_, i) => 50_000 - live + 1 + i));
    table.clear();
    assert.equal(table.size, 0);
    assert.deepEqual(table.values(), []);
    table.set(7, 7);
    assert.equal(table.get(7), 7, 'usable after clear');
  });

  it('takes any string as an id, 1 and "1" being one id, with no prototype to collide with', () => {
    const table = new IdTable<string, string | number>();
    table.set(1, 'number one');
    assert.equal(table.get('1'), 'number one');
    table.set('1', 'string one');
    assert.equal(table.size, 1);
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '']) {
      assert.equal(table.get(id), undefined, `${id} is not there before it is set`);
      table.set(id, `v:${id}`);
      assert.equal(table.get(id), `v:${id}`);
    }
    assert.equal(table.size, 6);
    assert.equal(table.delete('__proto__'), true);
    assert.equal(table.get('__proto__'), undefined);
    assert.equal(table.size, 5);
  });
});
