/**
 * The other `user-events` subscriber (push, fan-out): keeps each user's
 * activity in the `user-activity` table (partition: user, sort: time). Keyed
 * by the message id, so a redelivered message is written once.
 */
import { isConditionFailed, userActivity } from '../_shared/store.js';

interface SnsEvent {
  Records: Array<{ Sns: { MessageId: string; Message: string; Timestamp: string } }>;
}

export async function handler(event: SnsEvent) {
  for (const { Sns } of event.Records) {
    const message = JSON.parse(Sns.Message) as { type: string; userId: string };
    try {
      await userActivity.put({ userId: message.userId, at: `${Sns.Timestamp}#${Sns.MessageId}`, type: message.type, messageId: Sns.MessageId }, { ifNotExists: true });
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
