/**
 * DynamoDB's page cap: a Query or Scan page stops once it holds 1 MB of
 * items, whatever its limit, so one call never loads 1,000 items of 400 KB.
 */
export const ITEM_PAGE_BYTES = 1024 * 1024;

/** DynamoDB's item size limit, which the tables enforce: what a read must assume an item it has not seen may hold. */
export const LARGEST_ITEM_BYTES = 400 * 1024;

/** Counts a page's items and their bytes (UTF-8 of the item's JSON) as a store reads it. */
export class ItemPageBudget {
  readonly #limit: number;
  #items = 0;
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts one item read; false once the page is full. */
  add(itemText: string): boolean {
    this.#items++;
    this.#bytes += Buffer.byteLength(itemText);
    return !this.full;
  }

  /** The page holds `limit` items or 1 MB of them. */
  get full(): boolean {
    return this.#items >= this.#limit || this.#bytes >= ITEM_PAGE_BYTES;
  }
}
