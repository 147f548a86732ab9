import { describe, expect, it } from 'vitest';
import { ITEM_PAGE_BYTES, ItemPageBudget } from '../../../../runtime/backend/sources/item-page-budget.js';

describe('ItemPageBudget', () => {
  it('is full at its limit', () => {
    const budget = new ItemPageBudget(2);
    expect(budget.add('{}')).toBe(true);
    expect(budget.full).toBe(false);
    expect(budget.add('{}')).toBe(false);
    expect(budget.full).toBe(true);
  });

  it('is full once its items hold 1 MB of UTF-8, counting the item that reached it', () => {
    const budget = new ItemPageBudget(1000);
    // 'é' is 2 bytes in UTF-8: a quarter of a megabyte of characters is half the megabyte.
    expect(budget.add('é'.repeat(ITEM_PAGE_BYTES / 4))).toBe(true);
    expect(budget.add('x'.repeat(ITEM_PAGE_BYTES / 2 - 1))).toBe(true);
    expect(budget.add('x')).toBe(false);
    expect(budget.full).toBe(true);
  });
});
