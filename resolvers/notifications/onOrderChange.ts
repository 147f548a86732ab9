/**
 * The `orders` table's change stream, through an event source mapping (pull):
 * tells a user when an order of theirs is placed or changes status. Seed
 * orders (`seed: true`) are not news. Delivery is at least once, so each
 * notification has an id derived from the change (a retried batch writes it
 * once), and a record that fails is reported alone (ReportBatchItemFailures),
 * so the mapping retries from it without redoing the ones before.
 */
import { unmarshall, type DynamoDBStreamRecord } from '../_shared/dynamodb.js';
import { notify, type Order } from '../_shared/store.js';

export async function handler(event: { Records: DynamoDBStreamRecord[] }) {
  for (const record of event.Records) {
    try {
      const next = record.dynamodb.NewImage && unmarshall(record.dynamodb.NewImage) as unknown as Order;
      const before = record.dynamodb.OldImage && unmarshall(record.dynamodb.OldImage) as unknown as Order;
      if (!next || next.seed) continue;
      if (record.eventName === 'INSERT') {
        await notify(next.userId, `Your order ${next.id} was placed`, `n-order-${next.id}`);
      } else if (record.eventName === 'MODIFY' && before?.status !== next.status) {
        await notify(next.userId, `Your order ${next.id} is now ${next.status}`, `n-order-${next.id}-${next.status}`);
      }
    } catch {
      // Lambda checkpoints before the lowest failed sequence number: report this one and stop.
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}
